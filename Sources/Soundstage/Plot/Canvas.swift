import CCairo
import Foundation

/// An RGBA colour, components 0…1.
public struct Color: Sendable, Equatable {
    public var r, g, b, a: Double
    public init(_ r: Double, _ g: Double, _ b: Double, _ a: Double = 1) { (self.r, self.g, self.b, self.a) = (r, g, b, a) }
    public static let white = Color(1, 1, 1), black = Color(0, 0, 0)
}

/// A drawing surface over cairo (anti-aliased lines, filled shapes, text in DejaVu Sans),
/// exported as a `PNGImage` so the PNG gets our text chunks. Pixel coordinates, origin top-left.
public final class Canvas {
    public let width: Int
    public let height: Int
    private let surface: OpaquePointer
    private let cr: OpaquePointer

    public init(width: Int, height: Int, background: Color = .white) {
        self.width = width
        self.height = height
        surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height))
        cr = cairo_create(surface)
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
        setColor(background)
        cairo_paint(cr)
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    public func setColor(_ c: Color) { cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a) }

    public func line(from a: (Double, Double), to b: (Double, Double), color: Color, width: Double = 1) {
        polyline([a, b], color: color, width: width)
    }

    public func polyline(_ points: [(Double, Double)], color: Color, width: Double = 1, closed: Bool = false) {
        guard let first = points.first else { return }
        cairo_move_to(cr, first.0, first.1)
        for p in points.dropFirst() { cairo_line_to(cr, p.0, p.1) }
        if closed { cairo_close_path(cr) }
        setColor(color)
        cairo_set_line_width(cr, width)
        cairo_stroke(cr)
    }

    public func fillRect(x: Double, y: Double, width w: Double, height h: Double, color: Color) {
        cairo_rectangle(cr, x, y, w, h)
        setColor(color)
        cairo_fill(cr)
    }

    public func fillPolygon(_ points: [(Double, Double)], color: Color) {
        guard let first = points.first else { return }
        cairo_move_to(cr, first.0, first.1)
        for p in points.dropFirst() { cairo_line_to(cr, p.0, p.1) }
        cairo_close_path(cr)
        setColor(color)
        cairo_fill(cr)
    }

    public func fillCircle(x: Double, y: Double, radius: Double, color: Color) {
        cairo_new_sub_path(cr)
        cairo_arc(cr, x, y, radius, 0, 2 * .pi)
        setColor(color)
        cairo_fill(cr)
    }

    /// Draws `text` with its baseline-left (or centre with `centred`) at (x, y); `angle` in radians.
    public func text(_ text: String, x: Double, y: Double, size: Double = 14, color: Color = .black,
                     bold: Bool = false, centred: Bool = false, angle: Double = 0) {
        cairo_save(cr)
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, text, &extents)
        cairo_translate(cr, x, y)
        cairo_rotate(cr, angle)
        cairo_move_to(cr, centred ? -extents.width / 2 - extents.x_bearing : 0, 0)
        setColor(color)
        cairo_show_text(cr, text)
        cairo_restore(cr)
    }

    /// Width in pixels of `text` at `size`.
    public func textWidth(_ text: String, size: Double = 14) -> Double {
        cairo_set_font_size(cr, size)
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, text, &extents)
        return extents.x_advance
    }

    /// The pixels as straight (not premultiplied) RGBA.
    public func image(text: [String: String] = [:]) -> PNGImage {
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        let data = cairo_image_surface_get_data(surface)!
        var rgba = [UInt8](repeating: 0, count: width * height * 4)
        for y in 0..<height {
            let row = data.advanced(by: y * stride).withMemoryRebound(to: UInt32.self, capacity: width) { $0 }
            for x in 0..<width {
                let p = row[x] // native-endian ARGB, premultiplied
                let a = UInt8(p >> 24), r = UInt8((p >> 16) & 0xFF), g = UInt8((p >> 8) & 0xFF), b = UInt8(p & 0xFF)
                let i = (y * width + x) * 4
                func unpremultiply(_ c: UInt8) -> UInt8 { a == 0 ? 0 : UInt8(min(255, (Int(c) * 255 + Int(a) / 2) / Int(a))) }
                rgba[i] = unpremultiply(r); rgba[i + 1] = unpremultiply(g); rgba[i + 2] = unpremultiply(b); rgba[i + 3] = a
            }
        }
        return PNGImage(width: width, height: height, pixels: rgba, text: text)
    }
}
