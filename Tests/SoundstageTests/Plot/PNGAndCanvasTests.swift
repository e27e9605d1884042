import XCTest
@testable import Soundstage

final class PNGAndCanvasTests: XCTestCase {
    func testPNGWriteThenDecodeHeaderPixelsAndText() throws {
        let w = 7, h = 5
        var pixels = [UInt8](repeating: 0, count: w * h * 4)
        for y in 0..<h { for x in 0..<w { let i = (y * w + x) * 4; pixels[i] = UInt8(x * 30); pixels[i + 1] = UInt8(y * 50); pixels[i + 2] = 200; pixels[i + 3] = 255 } }
        let path = TestPaths.temporaryFolder().appendingPathComponent("t.png").path
        try PNGImage(width: w, height: h, pixels: pixels, text: ["Title": "test", "Software": "Soundstage"]).write(to: path)
        let header = try PNGImage.readHeader(path)
        XCTAssertEqual(header.width, w)
        XCTAssertEqual(header.height, h)
        XCTAssertEqual(header.bitDepth, 8)
        XCTAssertEqual(header.colorType, 6) // PNG colour type 6 = RGBA
        XCTAssertEqual(header.text, ["Title": "test", "Software": "Soundstage"])
        // The file starts with the PNG signature (independent of libpng's reader).
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        XCTAssertEqual(try PNGImage.read(path).pixels, pixels)
    }

    func testReadingANonPNGIsAnErrorNotACrash() throws {
        let path = TestPaths.temporaryFolder().appendingPathComponent("x.png").path
        try Data("not a png at all".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try PNGImage.read(path)) { XCTAssertTrue("\($0)".contains("not a PNG")) }
        // A truncated PNG makes libpng longjmp: the shim turns it into an error.
        let good = TestPaths.temporaryFolder().appendingPathComponent("g.png").path
        try Canvas(width: 64, height: 64).image().write(to: good)
        let truncated = try Data(contentsOf: URL(fileURLWithPath: good)).prefix(60)
        try truncated.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try PNGImage.read(path))
    }

    func testCanvasDrawsWherePixelCoordinatesSay() throws {
        let canvas = Canvas(width: 100, height: 60)
        canvas.fillRect(x: 10, y: 20, width: 30, height: 10, color: Color(1, 0, 0))
        canvas.fillCircle(x: 70, y: 30, radius: 8, color: Color(0, 0, 1))
        canvas.line(from: (0, 50.5), to: (100, 50.5), color: .black, width: 1)
        let image = canvas.image()
        XCTAssertTrue(image.pixel(x: 25, y: 25) == (255, 0, 0, 255))   // inside the rectangle
        XCTAssertTrue(image.pixel(x: 45, y: 25) == (255, 255, 255, 255)) // right of it: background
        XCTAssertTrue(image.pixel(x: 70, y: 30) == (0, 0, 255, 255))    // circle centre
        XCTAssertTrue(image.pixel(x: 70, y: 40) == (255, 255, 255, 255)) // 10 px below: outside r = 8
        XCTAssertTrue(image.pixel(x: 50, y: 50) == (0, 0, 0, 255))      // the 1-px line on row 50
    }

    func testCanvasTextUsesARealFont() {
        let canvas = Canvas(width: 200, height: 40)
        XCTAssertGreaterThan(canvas.textWidth("Soundstage", size: 20), 80) // a real font has width
        canvas.text("Soundstage", x: 5, y: 30, size: 20)
        let image = canvas.image()
        let dark = stride(from: 0, to: image.pixels.count, by: 4).filter { image.pixels[$0] < 128 }.count
        XCTAssertGreaterThan(dark, 100)
    }
}
