// autocannon 9 ships no types and @types/autocannon is not installed: the part of its API the bench uses.
declare module 'autocannon' {
  namespace autocannon {
    interface Histogram { average: number; mean: number; stddev: number; min: number; max: number; p50: number; p90: number; p97_5: number; p99: number; p99_9: number; total: number }
    interface Result {
      requests: Histogram; latency: Histogram; throughput: Histogram;
      errors: number; timeouts: number; non2xx: number; '2xx': number; duration: number; start: Date; finish: Date;
    }
    interface RequestSpec { method?: string; path?: string; body?: string; headers?: Record<string, string>; setupRequest?: (req: any, context: any) => any }
    interface Options {
      url: string; method?: string; connections?: number; duration?: number; amount?: number; pipelining?: number;
      headers?: Record<string, string>; body?: string; requests?: RequestSpec[]; timeout?: number;
    }
  }
  function autocannon(opts: autocannon.Options): Promise<autocannon.Result>;
  export default autocannon;
}
