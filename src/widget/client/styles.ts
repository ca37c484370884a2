/** Everything lives in the shadow root: the host page's CSS cannot reach in, ours cannot leak out. */
export const CSS = `
:host{all:initial}
.bk{position:fixed;bottom:20px;right:20px;z-index:2147483000;font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a}
.bk.left{right:auto;left:20px}
*{box-sizing:border-box}
button,input,select,textarea{font:inherit;color:inherit}
.fab{display:flex;align-items:center;gap:8px;border:0;border-radius:999px;padding:12px 18px;background:var(--p);color:var(--op);font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}
.fab svg{width:20px;height:20px;fill:currentColor}
:focus-visible{outline:3px solid var(--a);outline-offset:2px}
.fab:focus-visible,.primary:focus-visible{outline-color:#1a1a1a;box-shadow:0 0 0 5px #fff}
.panel{position:absolute;bottom:0;right:0;width:min(360px,calc(100vw - 40px));max-height:calc(100vh - 40px);overflow:auto;background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);padding:16px}
.left .panel{right:auto;left:0}
.pv .panel{bottom:64px;max-height:calc(100vh - 100px)}
[hidden]{display:none!important}
header{display:flex;align-items:center;gap:8px;margin-bottom:8px}
header img{max-height:32px;max-width:96px}
h2{font-size:18px;margin:0;flex:1;color:var(--a)}
.x{border:0;background:none;font-size:24px;line-height:1;cursor:pointer;padding:4px 8px;color:#444}
label{display:block;font-weight:600;margin:10px 0 4px}
input,select,textarea{width:100%;padding:8px;border:1px solid #767676;border-radius:6px;background:#fff}
textarea{min-height:56px;resize:vertical}
/* country above the number, each full width: country names ("United States +1") are never cut */
.row{display:grid;gap:8px}
.check{display:flex;gap:8px;align-items:flex-start;font-weight:400}.check input{width:auto;margin-top:3px}
.err{color:#b00020;font-size:13px;margin:4px 0 0;min-height:0}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
.primary{width:100%;margin-top:14px;border:0;border-radius:8px;padding:12px;background:var(--p);color:var(--op);font-weight:700;cursor:pointer}
.primary[disabled]{opacity:.7;cursor:progress}
.link{border:0;background:none;color:var(--a);text-decoration:underline;cursor:pointer;padding:8px 0;margin-top:4px}
.muted{color:#555;font-size:13px}
.steps{list-style:none;display:flex;gap:6px;padding:0;margin:12px 0}
.steps li{flex:1;height:6px;border-radius:3px;background:#ddd}
.steps li.on{background:var(--a)}
.status{font-size:16px;font-weight:600;margin:8px 0}
.web{margin:0 0 12px}
hr{border:0;border-top:1px solid #ddd;margin:0 0 4px}
`;
