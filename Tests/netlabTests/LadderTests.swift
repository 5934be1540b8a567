import Foundation
import XCTest

/// `netlab ladder`: the terminal diagram, and the HTML page rendered by headless Chromium
/// (a screenshot that is not blank, and one SVG arrow per segment in the rendered DOM).
final class LadderTests: XCTestCase {
    let capture = Harness.root.appendingPathComponent("captures/http-get.pcap").path

    func testTerminalLadderShowsEverySegmentAndState() throws {
        let result = try Harness.run(["ladder", "-r", capture])
        XCTAssertEqual(result.status, 0, result.stderr)
        let arrows = result.stdout.split(separator: "\n").filter { $0.contains("-->|") || $0.contains("|<--") }
        XCTAssertEqual(arrows.count, 10)
        for state in [
            "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "CLOSE-WAIT", "LAST-ACK", "TIME-WAIT", "CLOSED",
        ] {
            XCTAssertTrue(result.stdout.contains(state), "no \(state) in the ladder")
        }
        XCTAssertNotNil(
            result.stdout.range(of: #"PSH\+ACK seq 1:\d+ ack 1 win \d+ len \d+"#, options: .regularExpression),
            "the request's arrow")
        XCTAssertEqual(try Harness.run(["ladder", "-r", capture, "--stream", "7"]).status, 65)
    }

    func testHTMLRendersInHeadlessChromium() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-ladder-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let page = directory.appendingPathComponent("ladder.html").path
        let result = try Harness.run(["ladder", "-r", capture, "--html", page])
        XCTAssertEqual(result.status, 0, result.stderr)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        XCTAssertEqual(html.components(separatedBy: "marker-end=\"url(#arrow)\"").count - 1, 10)
        XCTAssertFalse(html.contains("<script"), "the page must be self-contained and static")

        guard
            let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
                .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { throw XCTSkip("SKIPPED: Chromium is not installed (scripts/setup.sh installs it for the tests)") }
        let flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,800"]
        let screenshot = directory.appendingPathComponent("ladder.png").path
        _ = try TCPAnalysisTestsPaths.run(chromium, flags + ["--screenshot=\(screenshot)", "file://\(page)"])
        let dom = try TCPAnalysisTestsPaths.run(chromium, flags + ["--dump-dom", "file://\(page)"])
        XCTAssertEqual(
            dom.components(separatedBy: "class=\"arrow ").count - 1, 10, "arrows missing from the rendered DOM")

        // Count non-white pixels with the PNG decoder the graph tests use.
        let script = Chromium.pngDarkPixels
        let output = try TCPAnalysisTestsPaths.run("/usr/bin/env", ["python3", "-c", script, screenshot])
        let numbers = output.split(separator: " ").compactMap {
            Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        XCTAssertEqual(numbers.count, 3, "could not read the screenshot: \(output)")
        if numbers.count == 3 {
            XCTAssertEqual(numbers[0], 1200)
            XCTAssertGreaterThan(numbers[2], 5000, "the screenshot is (nearly) blank")
        }
    }

    /// Issue 16: the page must not scroll sideways in a 1000-px window, and no arrow may run
    /// through a label: each label and note lies inside the opaque box drawn just before it,
    /// and no arrow is drawn after (over) a box it crosses. Measured in Chromium's layout.
    func testPageFitsAThousandPixelWindowAndNoArrowCrossesALabel() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-ladder-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let page = directory.appendingPathComponent("ladder.html").path
        XCTAssertEqual(try Harness.run(["ladder", "-r", capture, "--html", page]).status, 0)
        _ = try Chromium.path()
        let width = try Chromium.scrollWidth(page, width: 1000, in: directory)
        XCTAssertNotNil(width, "no layout width measured")
        XCTAssertLessThanOrEqual(width ?? .max, 1000, "the ladder page scrolls sideways in a 1000-px window")
        let script = """
            var texts = document.querySelectorAll('text.label, text.note'), bad = [], all = [...document.querySelectorAll('*')];
            texts.forEach(function (t) {
              var box = t.previousElementSibling;
              if (!box || box.tagName !== 'rect') { bad.push('no box: ' + t.textContent); return; }
              var b = t.getBBox(), r = box.getBBox();
              if (b.x < r.x - 0.5 || b.y < r.y - 0.5 || b.x + b.width > r.x + r.width + 0.5 || b.y + b.height > r.y + r.height + 0.5)
                bad.push('outside its box: ' + t.textContent);
              document.querySelectorAll('line.arrow').forEach(function (line) {
                if (all.indexOf(line) < all.indexOf(box)) return;
                var x1 = +line.getAttribute('x1'), y1 = +line.getAttribute('y1'), x2 = +line.getAttribute('x2'), y2 = +line.getAttribute('y2');
                for (var i = 0; i <= 100; i++) {
                  var x = x1 + (x2 - x1) * i / 100, y = y1 + (y2 - y1) * i / 100;
                  if (x > b.x && x < b.x + b.width && y > b.y && y < b.y + b.height) { bad.push('arrow over: ' + t.textContent); break; }
                }
              });
            });
            document.body.setAttribute('data-labels', texts.length + '|' + bad.join(';'));
            """
        let dom = try Chromium.measure(page, script: script, width: 1000, in: directory)
        guard let range = dom.range(of: #"data-labels="[^"]*""#, options: .regularExpression) else {
            return XCTFail("the measuring script did not run")
        }
        let parts = dom[range].dropFirst("data-labels=\"".count).dropLast().split(separator: "|", maxSplits: 1)
        XCTAssertEqual(Int(parts.first ?? ""), 12, "10 arrow labels and 2 HTTP notes")
        XCTAssertEqual(parts.count > 1 ? String(parts[1]) : "", "", "labels crossed by arrows or off their boxes")
        let shot = try Chromium.screenshot(page, width: 1000, height: 800, in: directory)
        XCTAssertEqual(shot.count, 3)
        if shot.count == 3 { XCTAssertGreaterThan(shot[2], 5000, "the screenshot is (nearly) blank") }
    }
}
