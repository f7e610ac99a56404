/** The scan page's HTML and script: no external assets, so it works on a gateway without internet. */

const html = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const HEAD = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px system-ui,sans-serif;margin:1rem;max-width:40rem}input{font:1.2rem monospace;width:100%;padding:.5rem}
li{font-family:monospace;margin:.3rem 0}video{width:100%}.ok{color:#05642a}.refused{color:#a01010}</style>`;

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
<p><button id="camera" type="button">Scan with camera</button> <span id="camera-status" role="status"></span></p>
<video id="video" muted playsinline hidden></video>
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
  // An image (a photo, a video frame) drawn into a canvas: 1,600 px at most on the long side keeps a
  // label's modules several pixels wide without decoding a phone photo's 12 megapixels.
  const toCanvas = (image, width, height, canvas = document.createElement('canvas')) => {
    const k = Math.min(1, 1600 / Math.max(width, height));
    canvas.width = Math.round(width * k);
    canvas.height = Math.round(height * k);
    canvas.getContext('2d', { willReadFrequently: true }).drawImage(image, 0, 0, canvas.width, canvas.height);
    return canvas;
  };
  const decodePhoto = async (file) => {
    const Z = await loadZxing();
    const bitmap = await createImageBitmap(file);
    return decodeCanvas(Z, toCanvas(bitmap, bitmap.width, bitmap.height));
  };
  const decodeCanvas = (Z, canvas) => {
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
  // Live scanning from the camera's video stream, a few frames a second: the browser's BarcodeDetector
  // when it reads the GS1 symbologies, else ZXing on a canvas copy of the frame (the photo's decoder).
  // Browsers give the camera only to https pages and localhost (secure contexts).
  const cameraButton = document.getElementById('camera');
  const cameraStatus = document.getElementById('camera-status');
  const video = document.getElementById('video');
  const FRAME_MS = 250;
  // A code held in front of the camera is read in frame after frame: it is submitted again only after it
  // has been out of sight this long.
  const REPEAT_MS = 3000;
  let camera = null;
  const detectorFor = async () => {
    const formats = ['data_matrix', 'qr_code', 'code_128'];
    if (typeof window.BarcodeDetector === 'function') {
      const supported = await window.BarcodeDetector.getSupportedFormats().catch(() => []);
      if (formats.every((f) => supported.includes(f))) {
        const detector = new window.BarcodeDetector({ formats });
        return async () => {
          const found = await detector.detect(video);
          return found.length ? found[0].rawValue : null;
        };
      }
    }
    const Z = await loadZxing();
    const canvas = document.createElement('canvas');
    return async () => {
      try {
        return decodeCanvas(Z, toCanvas(video, video.videoWidth, video.videoHeight, canvas));
      } catch (err) {
        // A frame caught mid-movement or out of focus: a symbol found but not read. The next frame may be.
        if (err instanceof Z.ChecksumException || err instanceof Z.FormatException) return null;
        throw err;
      }
    };
  };
  const stopCamera = (message) => {
    if (!camera) return;
    camera.stopped = true;
    clearTimeout(camera.timer);
    for (const track of camera.stream.getTracks()) track.stop();
    video.srcObject = null;
    video.hidden = true;
    camera = null;
    cameraButton.textContent = 'Scan with camera';
    cameraStatus.textContent = message ?? '';
  };
  const startCamera = async () => {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      show('refused', 'CAMERA NOT AVAILABLE: the browser offers the camera only to https pages or localhost');
      return;
    }
    cameraButton.disabled = true;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    } catch (err) {
      cameraButton.disabled = false;
      const why = err && err.name === 'NotAllowedError' ? 'CAMERA REFUSED: allow the camera for this page in the browser'
        : err && (err.name === 'NotFoundError' || err.name === 'OverconstrainedError') ? 'NO CAMERA found on this device'
        : 'CAMERA NOT STARTED: ' + (err && err.message);
      show('refused', why);
      return;
    }
    // The page was hidden while the browser asked for permission: the camera is not kept.
    if (document.hidden || camera) {
      for (const track of stream.getTracks()) track.stop();
      cameraButton.disabled = false;
      return;
    }
    const cam = { stream, stopped: false, timer: 0, last: null, lastAt: 0, reads: 0, failures: 0 };
    camera = cam;
    cameraButton.disabled = false;
    cameraButton.textContent = 'Stop camera';
    cameraStatus.textContent = 'Camera on: hold the code in front of it';
    video.hidden = false;
    video.srcObject = stream;
    // Another application took the camera, or it was unplugged.
    for (const track of stream.getTracks()) track.addEventListener('ended', () => cam === camera && stopCamera('Camera stopped: it was taken away'));
    let detect;
    try {
      await video.play();
      detect = await detectorFor();
    } catch (err) {
      if (cam.stopped) return;
      stopCamera();
      show('refused', 'CAMERA NOT STARTED: ' + err.message);
      return;
    }
    const tick = async () => {
      if (cam.stopped) return;
      let code = null;
      try {
        if (video.readyState >= 2 && video.videoWidth > 0) code = await detect();
        cam.failures = 0;
      } catch (err) {
        // One bad frame is skipped; a decoder that fails on every frame for 5 s stops the camera.
        if (cam.stopped) return;
        if (++cam.failures >= 20) {
          stopCamera();
          show('refused', 'CAMERA STOPPED: the frames could not be decoded: ' + err.message);
          return;
        }
      }
      if (cam.stopped) return;
      if (code) {
        const now = Date.now();
        const repeat = code === cam.last && now - cam.lastAt < REPEAT_MS;
        cam.last = code;
        cam.lastAt = now;
        cam.reads += 1;
        // Frames in which a code was read: shows the camera is reading (and lets a test see it).
        cameraStatus.dataset.reads = String(cam.reads);
        if (!repeat) await submit(code);
      }
      if (!cam.stopped) cam.timer = setTimeout(tick, FRAME_MS);
    };
    tick();
  };
  cameraButton.addEventListener('click', () => (camera ? stopCamera() : startCamera()));
  // Leaving the page (or hiding its tab) releases the camera.
  window.addEventListener('pagehide', () => stopCamera());
  document.addEventListener('visibilitychange', () => document.hidden && stopCamera('Camera stopped: the page was hidden'));
})();
`;
