/** The scan page's HTML and script: no external assets, so it works on a gateway without internet. */

const html = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const HEAD = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px system-ui,sans-serif;margin:1rem;max-width:40rem}input{font:1.2rem monospace;width:100%;padding:.5rem}
li{font-family:monospace;margin:.3rem 0}.ok{color:#05642a}.refused{color:#a01010}</style>`;

export function indexPage(
  stations: ReadonlyArray<{ id: string; locationId: string; direction: string }>,
): string {
  const items = stations
    .map(
      (s) =>
        `<li><a href="/scan/stations/${encodeURIComponent(s.id)}">${html(s.id)}</a> (${html(s.direction)} at ${html(s.locationId)})</li>`,
    )
    .join('');
  return `${HEAD}<title>coldtrace scan stations</title></head><body><h1>Scan stations</h1><ul>${items}</ul></body></html>`;
}

export function stationPage(s: { id: string; locationId: string; direction: string }): string {
  return `${HEAD}<title>Scan: ${html(s.id)}</title></head><body>
<h1>${html(s.id)}</h1><p>${html(s.direction)} at ${html(s.locationId)}</p>
<form id="scan" data-station="${html(s.id)}"><label for="code">Scan a code</label>
<input id="code" name="code" autocomplete="off" autofocus></form>
<p><label for="photo">Or take a photo of the code</label>
<input id="photo" type="file" accept="image/*" capture="environment"></p>
<ol id="results" reversed></ol><script src="/scan/app.js"></script></body></html>`;
}

/**
 * Keyboard-wedge scanners type the code and Enter. GS1 FNC1 (GS, 0x1D) cannot be typed: a wedge sends it
 * as Ctrl+] (the key that makes 0x1D on a terminal), inserted here as GS. The token comes from the URL
 * fragment (never sent to a server by the browser) and is kept for the tab.
 */
export const APP_JS = `'use strict';
(() => {
  const form = document.getElementById('scan');
  const input = document.getElementById('code');
  const results = document.getElementById('results');
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) { sessionStorage.setItem('coldtrace-scan-token', decodeURIComponent(m[1])); history.replaceState(null, '', location.pathname); }
  const token = sessionStorage.getItem('coldtrace-scan-token');
  input.addEventListener('keydown', (e) => {
    if (e.ctrlKey && (e.key === ']' || e.code === 'BracketRight')) {
      e.preventDefault();
      const at = input.selectionStart ?? input.value.length;
      input.value = input.value.slice(0, at) + '\\u001d' + input.value.slice(input.selectionEnd ?? at);
      input.setSelectionRange(at + 1, at + 1);
    }
  });
  const show = (cls, text) => {
    const li = document.createElement('li');
    li.className = cls;
    li.textContent = text;
    results.prepend(li);
    while (results.children.length > 20) results.lastElementChild.remove();
  };
  const submit = async (code) => {
    const headers = { 'content-type': 'application/json' };
    if (token) headers.authorization = 'Bearer ' + token;
    try {
      const res = await fetch('/scan/stations/' + encodeURIComponent(form.dataset.station) + '/scans', {
        method: 'POST', headers, body: JSON.stringify({ code }),
      });
      const body = await res.json();
      if (res.ok) {
        const s = body.scan;
        show('ok', ['OK', s.gtin ?? s.sscc ?? s.hibc, s.lot && 'lot ' + s.lot, s.expiry && 'exp ' + s.expiry, s.serial && 'SN ' + s.serial].filter(Boolean).join('  '));
      } else show('refused', 'REFUSED ' + body.error + ': ' + body.message);
    } catch (err) {
      show('refused', 'NOT SENT: ' + err.message);
    }
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const code = input.value;
    input.value = '';
    input.focus();
    if (code) await submit(code);
  });
  // A photo from the phone's camera (the file input's capture), decoded in this page by ZXing, served by
  // the gateway (/scan/zxing.js, loaded on first use): works offline and in every browser.
  const photo = document.getElementById('photo');
  let zxing;
  const loadZxing = () => zxing ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/scan/zxing.js';
    script.onload = () => resolve(window.ZXing);
    script.onerror = () => { zxing = undefined; reject(new Error('the decoder did not load')); };
    document.head.append(script);
  });
  const decodePhoto = async (file) => {
    const Z = await loadZxing();
    const bitmap = await createImageBitmap(file);
    // Phone photos are large: 1,600 px on the long side keeps a label's modules several pixels wide.
    const k = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bitmap.width * k);
    canvas.height = Math.round(bitmap.height * k);
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const reader = new Z.MultiFormatReader();
    reader.setHints(new Map([
      [Z.DecodeHintType.TRY_HARDER, true],
      [Z.DecodeHintType.POSSIBLE_FORMATS, [Z.BarcodeFormat.DATA_MATRIX, Z.BarcodeFormat.QR_CODE, Z.BarcodeFormat.CODE_128]],
    ]));
    try {
      const r = reader.decode(new Z.BinaryBitmap(new Z.HybridBinarizer(new Z.HTMLCanvasElementLuminanceSource(canvas))));
      // GS1 symbols: FNC1 comes out as GS (0x1D); a leading one (the GS1 flag) is dropped by the gateway.
      return r.getText();
    } catch (err) {
      if (err instanceof Z.NotFoundException || (err && err.name === 'NotFoundException')) return null;
      throw err;
    }
  };
  photo.addEventListener('change', async () => {
    const file = photo.files && photo.files[0];
    photo.value = '';
    if (!file) return;
    try {
      const code = await decodePhoto(file);
      if (code === null) show('refused', 'NO CODE FOUND in the photo: take it again closer and in focus');
      else await submit(code);
    } catch (err) {
      show('refused', 'PHOTO NOT READ: ' + err.message);
    }
    input.focus();
  });
})();
`;
