/**
 * The widget chat's look, adopted into the widget's shadow root (where --p, --op and --a carry the subscriber's
 * colours). Class names start with `bkm` so a page's own rules and these do not meet; the log scrolls inside a
 * bounded height so the panel fits a 360 px wide phone.
 */
export const CHAT_CSS = `
.bkm [hidden]{display:none!important}
.bkm-log{list-style:none;margin:0 0 8px;padding:0;max-height:min(45vh,320px);overflow-y:auto;display:flex;flex-direction:column;gap:6px}
.bkm-log li{max-width:85%;padding:6px 10px;border-radius:10px;background:#f1f3f5;color:#1a1a1a;white-space:pre-wrap;overflow-wrap:anywhere;align-self:flex-start}
.bkm-log li.visitor{align-self:flex-end;background:var(--p,#0b5fff);color:var(--op,#fff)}
.bkm-log li.system{align-self:center;background:none;color:#555;font-size:13px;font-style:italic}
.bkm-who{display:block;font-size:12px;font-weight:700;opacity:.85}
.bkm textarea{width:100%;box-sizing:border-box;min-height:60px;font:inherit}
.bkm-row{display:flex;gap:8px;margin-top:8px}
.bkm-row button{flex:1;min-height:44px;border-radius:8px;padding:8px 10px;font:inherit;font-weight:700;cursor:pointer}
.bkm-send,.bkm-call{border:0;background:var(--p,#0b5fff);color:var(--op,#fff)}
.bkm-end,.bkm-back{border:1px solid #767676;background:#fff;color:#1a1a1a}
.bkm-call{width:100%;min-height:44px;border-radius:8px;margin:4px 0 8px;font:inherit;font-weight:700;cursor:pointer}
.bkm-err{color:#b00020;margin:4px 0}
.bkm button:focus-visible,.bkm textarea:focus-visible{outline:3px solid var(--a,#0b5fff);outline-offset:2px}
`;
