/** The invitation's styles, adopted into the widget's shadow root by the invitation chunk (its variables: --p, --op). */
export const INVITE_CSS = `
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.inv{position:absolute;bottom:64px;right:0;width:280px;background:#fff;border-radius:12px;box-shadow:0 6px 24px rgba(0,0,0,.25);padding:12px 36px 12px 14px}
.left .inv{right:auto;left:0}
.inv p{margin:0 0 8px}
.go{border:0;border-radius:8px;padding:8px 12px;background:var(--p);color:var(--op);font-weight:700;cursor:pointer}
.ix{position:absolute;top:4px;right:4px;border:0;background:none;font-size:22px;line-height:1;cursor:pointer;padding:4px 8px;color:#444}
@media (prefers-reduced-motion:no-preference){.inv{animation:bk-in .3s ease-out}}
@keyframes bk-in{from{opacity:0;transform:translateY(8px)}}
@media (max-width:480px){.inv,.left .inv{position:fixed;left:0;right:0;bottom:0;width:auto;border-radius:0;box-shadow:0 -2px 12px rgba(0,0,0,.2);display:flex;align-items:center;gap:8px;padding:8px 44px 8px 12px}
.inv p{flex:1;margin:0;font-size:14px;line-height:1.3}.ix{top:50%;transform:translateY(-50%)}.inviting .fab{display:none}}
`;
