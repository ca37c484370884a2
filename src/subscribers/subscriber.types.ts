export interface Subscriber {
  id: string;
  slug: string;
  name: string;
  email: string | null;
  country: string;
  timezone: string;
  phoneE164: string | null;
  phoneVerifiedAt: Date | null;
  status: 'active' | 'suspended';
  settings: Record<string, unknown>;
}

export interface Department {
  id: string;
  subscriberId: string;
  name: string;
  answeredBy: 'phone' | 'agents';
  phoneE164: string | null;
  phoneVerifiedAt: Date | null;
  position: number;
}
