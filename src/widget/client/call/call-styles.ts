/**
 * The call panel's look, adopted into whatever root holds it: the widget's shadow root (where --p, --op and --a
 * carry the subscriber's colours) or the hosted form's page (the fallbacks). Class names start with `bkc` so a
 * page's own rules and these do not meet.
 */
export const CALL_CSS = `
.bkc{margin:4px 0}
.bkc [hidden]{display:none!important}
.bkc-status{font-size:16px;font-weight:600;margin:8px 0}
.bkc-timer{font-size:28px;font-weight:600;font-variant-numeric:tabular-nums;margin:4px 0 12px;color:var(--a,#0b5fff)}
.bkc-row{display:flex;gap:8px;margin-top:8px}
.bkc-row button,.bkc-back{flex:1;min-height:44px;border-radius:8px;padding:10px 12px;font:inherit;font-weight:700;cursor:pointer}
.bkc-mute{border:1px solid #767676;background:#fff;color:#1a1a1a}
.bkc-mute[aria-pressed="true"]{background:#1a1a1a;color:#fff;border-color:#1a1a1a}
.bkc-hang{border:0;background:#b00020;color:#fff}
.bkc-back{width:100%;margin-top:8px;border:0;background:var(--p,#0b5fff);color:var(--op,#fff)}
.bkc button:focus-visible{outline:3px solid var(--a,#0b5fff);outline-offset:2px}
`;
