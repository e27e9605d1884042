import Foundation
import Hummingbird
import Soundstage
@testable import SoundstageStudio
import Synchronization
import XCTest

/// The page in a real browser (Debian's headless Chromium, installed by scripts/install-deps.sh):
/// a driver page served beside the studio loads it in a frame, drags the left speaker through the
/// page's own pointer handlers, waits for the full simulation of the new placement, and renders
/// audio with an OfflineAudioContext through the page's own playback graph and the served BRIRs:
/// a unit impulse must come out as the BRIR (× the loudness-matching gain), and a second of noise
/// must not be silent. The driver posts what it saw to /test-report.
final class StudioBrowserTests: XCTestCase {
    static func chromium() -> String? {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
                let path = "\(folder)/\(name)"
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
        }
        return nil
    }

    func testDraggingASpeakerUpdatesTheMetricsAndThePageRendersTheServedBRIRs() async throws {
        let browser = try XCTUnwrap(Self.chromium(), "headless Chromium is needed (scripts/install-deps.sh installs Debian's chromium)")
        let report = Mutex<Data?>(nil)
        let studio = try await StudioTestServer { router in
            router.get("/test-driver.html") { _, _ in
                Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: Self.driver)))
            }
            router.get("/test-driver.js") { _, _ in
                Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: Self.driverScript)))
            }
            router.post("/test-report") { request, _ in
                let body = try await request.body.collect(upTo: 1 << 20)
                report.withLock { $0 = Data(buffer: body) }
                return Response(status: .ok)
            }
        }
        defer { Task { await studio.stop() } }
        let profile = studio.folder.appendingPathComponent("chromium-profile").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--mute-audio",
                             "--autoplay-policy=no-user-gesture-required", "--user-data-dir=\(profile)", "--window-size=1300,1000",
                             "http://127.0.0.1:\(studio.port)/test-driver.html"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        let deadline = Date().addingTimeInterval(180)
        while report.withLock({ $0 }) == nil, Date() < deadline, process.isRunning {
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        let data = try XCTUnwrap(report.withLock { $0 }, "the driver page reported nothing")
        let r = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertNil(r["error"], "\(r["error"] ?? "")")
        guard r["error"] == nil else { return }
        let before = r["before"] as! [String: Any], after = r["after"] as! [String: Any]
        // The drag went 0.3 m left: the stereo layout's spacing grew by 0.6 m, and L's azimuth grew.
        XCTAssertEqual(after["spacing"] as! Double, (before["spacing"] as! Double) + 0.6, accuracy: 0.011, "L 0.3 m further from the centre")
        XCTAssertGreaterThan(after["version"] as! Int, before["version"] as! Int)
        XCTAssertEqual(after["quality"] as? String, "full")
        XCTAssertNotEqual(after["table"] as? String, before["table"] as? String, "the metrics table shows the new placement")
        XCTAssertGreaterThan(after["azimuth"] as! Double, (before["azimuth"] as! Double) + 1)
        XCTAssertGreaterThan(after["previews"] as! Int, 0, "previews while dragging")
        // The page's graph: impulse in the left channel → the L speaker's BRIR × gain, both ears.
        let dirac = r["dirac"] as! [String: Double]
        XCTAssertGreaterThan(dirac["peak"]!, 1e-4)
        XCTAssertLessThan(dirac["maxError"]! / dirac["peak"]!, 1e-3)
        XCTAssertEqual(20 * log10(dirac["gain"]!), after["loudnessGainDB"] as! Double, accuracy: 1e-3)
        // A second of noise through both speakers is not silent and not clipped into NaN.
        let noise = r["noise"] as! [String: Double]
        XCTAssertGreaterThan(noise["rmsLeft"]!, 1e-3)
        XCTAssertGreaterThan(noise["rmsRight"]!, 1e-3)
        XCTAssertTrue(noise["rmsLeft"]!.isFinite && noise["rmsRight"]!.isFinite)
    }

    static let driver = """
    <!doctype html><meta charset="utf-8"><title>studio test driver</title>
    <iframe id="f" src="/" style="width:1280px;height:950px;border:0"></iframe>
    <script src="/test-driver.js"></script>
    """

    static let driverScript = #"""
    'use strict';
    const frame = document.getElementById('f');
    const report = (r) => fetch('/test-report', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(r) });
    const wait = (cond, ms) => new Promise((resolve, reject) => {
      const t0 = Date.now();
      (function poll() {
        let v = null;
        try { v = cond(); } catch (_) { v = null; }
        if (v) resolve(v); else if (Date.now() - t0 > ms) reject(new Error('timed out waiting for ' + cond + ' in ' + snapshot())); else setTimeout(poll, 100);
      })();
    });
    // What the page shows, for a failure message.
    function snapshot() {
      try {
        const w = frame.contentWindow, d = frame.contentDocument, st = w.studio;
        return JSON.stringify({ status: d.getElementById('status').textContent, error: (d.getElementById('error') || {}).textContent,
          version: st.result && st.result.version, quality: st.result && st.result.quality, inFlight: st.state.inFlight,
          drag: !!st.state.drag, setB: st.audio.setB && st.audio.setB.version });
      } catch (e) { return 'no snapshot: ' + e; }
    }
    async function run() {
      await new Promise((resolve) => { frame.onload = resolve; });
      const w = frame.contentWindow, d = frame.contentDocument;
      await wait(() => w.studio && w.studio.result && w.studio.audio.setB && w.studio.audio.setB.version === w.studio.result.version, 120000);
      const table = () => d.getElementById('metrics').textContent;
      const first = w.studio.result;
      const before = { version: first.version, spacing: w.studio.state.doc.speakers.spacing, table: table(), azimuth: first.geometry.speakers[0].azimuth };
      let previews = 0;
      const original = w.studio.simulate;
      const dot = d.querySelector('#plan circle.speaker[data-name="L"]');
      // Pointer positions in the plan's own coordinates (metres; y drawn upwards as −y), through
      // the drawing's screen transform: the drag moves L 5 cm left per step, 30 cm in all.
      const cx = Number(dot.getAttribute('cx')), cy = Number(dot.getAttribute('cy'));
      const at = (metres) => { const m = d.getElementById('plan').getScreenCTM(); return { x: m.a * metres + m.c * cy + m.e, y: m.b * metres + m.d * cy + m.f }; };
      const fire = (target, type, metres) => { const p = at(metres); target.dispatchEvent(new w.PointerEvent(type, { bubbles: true, clientX: p.x, clientY: p.y, pointerId: 1, isPrimary: true })); };
      fire(dot, 'pointerdown', cx);
      for (let i = 1; i <= 6; i++) {
        fire(w, 'pointermove', cx - 0.05 * i);
        await new Promise((r) => setTimeout(r, 120));
        if (d.getElementById('status').textContent.includes('preview')) previews++;
      }
      await wait(() => w.studio.state.inFlight === false, 60000);
      // Before the release only previews were asked for: the newest result must be one, of a new placement.
      previews += (w.studio.result.quality === 'preview' && w.studio.result.version > first.version) ? 1 : 0;
      fire(w, 'pointerup', cx - 0.3);
      await wait(() => w.studio.result.quality === 'full' && w.studio.result.version > first.version
        && w.studio.audio.setB.version === w.studio.result.version, 120000);
      const now = w.studio.result;
      const after = { version: now.version, quality: now.quality, spacing: w.studio.state.doc.speakers.spacing, table: table(),
        azimuth: now.geometry.speakers[0].azimuth, loudnessGainDB: now.loudnessGainDB, previews };
      const dirac = await w.studio.renderOffline(1.0);
      const brir = w.studio.audio.setB.buffers[0];
      let peak = 0, maxError = 0;
      for (let ear = 0; ear < 2; ear++) {
        const out = ear ? dirac.right : dirac.left, h = brir.getChannelData(ear);
        for (let i = 0; i < out.length; i++) {
          const expected = i < h.length ? dirac.gain * h[i] : 0;
          peak = Math.max(peak, Math.abs(expected));
          maxError = Math.max(maxError, Math.abs(out[i] - expected));
        }
      }
      const rate = brir.sampleRate;
      const noiseInput = new w.AudioBuffer({ numberOfChannels: 2, length: rate, sampleRate: rate });
      let seed = 1;
      for (let c = 0; c < 2; c++) { const x = noiseInput.getChannelData(c); for (let i = 0; i < x.length; i++) { seed = (seed * 1103515245 + 12345) % 2147483648; x[i] = 0.1 * (seed / 1073741824 - 1); } }
      const noise = await w.studio.renderOffline(1.0, noiseInput);
      const rms = (x) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
      await report({ before, after, dirac: { peak, maxError, gain: dirac.gain }, noise: { rmsLeft: rms(noise.left), rmsRight: rms(noise.right) } });
    }
    run().catch((e) => report({ error: String(e && e.stack || e) }));
    """#
}
