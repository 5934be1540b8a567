/// One x–y chart drawn as SVG: a plot area, axes with round-numbered ticks, and coordinates
/// mapped from data to pixels. The shapes themselves are written by the caller, so each
/// graph keeps its own classes (the tests count them).
struct SVGPlot {
    let width: Int, height: Int
    let left = 78, right = 16, top = 30, bottom = 44
    var xRange: (Double, Double)
    var yRange: (Double, Double)

    init(width: Int, height: Int, x: (Double, Double), y: (Double, Double)) {
        self.width = width
        self.height = height
        xRange = x.1 > x.0 ? x : (x.0, x.0 + 1)
        yRange = y.1 > y.0 ? y : (y.0, y.0 + 1)
    }

    func xPixel(_ value: Double) -> Double {
        Double(left) + (value - xRange.0) / (xRange.1 - xRange.0) * Double(width - left - right)
    }

    func yPixel(_ value: Double) -> Double {
        Double(height - bottom) - (value - yRange.0) / (yRange.1 - yRange.0) * Double(height - top - bottom)
    }

    func x(_ value: Double) -> String { Self.number(xPixel(value)) }
    func y(_ value: Double) -> String { Self.number(yPixel(value)) }

    /// Pixels with one decimal: enough for a sharp drawing, small pages.
    /// Clamped far outside any drawing, so a degenerate range never reaches a conversion that traps.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        return ConversationTable.fixed(min(max(value, -1e9), 1e9), width: 0, decimals: 1)
    }

    /// `value` as an index in 0..<count, for any Double (negative, huge, NaN).
    static func bucket(_ value: Double, count: Int) -> Int {
        guard value.isFinite, value > 0, count > 0 else { return 0 }
        return value >= Double(count - 1) ? count - 1 : Int(value)
    }

    /// Round tick values covering a range (1, 2 or 5 times a power of ten apart).
    static func ticks(_ range: (Double, Double), count: Int = 5) -> [Double] {
        let span = range.1 - range.0
        guard span > 0, span.isFinite else { return [range.0] }
        let raw = span / Double(count)
        var magnitude = 1.0
        while magnitude * 10 <= raw { magnitude *= 10 }
        while magnitude > raw { magnitude /= 10 }
        let residual = raw / magnitude
        let step = (residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10) * magnitude
        var values: [Double] = []
        var value = (range.0 / step).rounded(.up) * step
        while value <= range.1 + step * 1e-9 && values.count < 50 {
            values.append(value)
            value += step
        }
        return values
    }

    /// A tick label: integers plainly, fractions with as few decimals as the step needs.
    static func label(_ value: Double, step: Double) -> String {
        var decimals = 0, scaled = step
        while decimals < 6 && abs(scaled - scaled.rounded()) > 1e-9 {
            scaled *= 10
            decimals += 1
        }
        return ConversationTable.fixed(min(max(value, -1e15), 1e15), width: 0, decimals: decimals)
    }

    /// Opens the chart: its own <svg> scaled to the page width, title, axes, ticks and labels.
    func open(title: String, xLabel: String, yLabel: String, id: String, into out: inout TextBuffer) {
        out.append(
            string: "<h2>\(HTMLText.escape(title))</h2>\n<svg id=\"\(id)\" xmlns=\"http://www.w3.org/2000/svg\" "
                + "viewBox=\"0 0 \(width) \(height)\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">\n")
        let x0 = left, x1 = width - right, y0 = top, y1 = height - bottom
        out.append(
            string: "<rect x=\"\(x0)\" y=\"\(y0)\" width=\"\(x1 - x0)\" height=\"\(y1 - y0)\" class=\"frame\"/>\n")
        let xTicks = Self.ticks(xRange), yTicks = Self.ticks(yRange)
        let xStep = xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1, yStep = yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1
        for tick in xTicks {
            out.append(
                string: "<line class=\"grid\" x1=\"\(x(tick))\" y1=\"\(y0)\" x2=\"\(x(tick))\" y2=\"\(y1)\"/>"
                    + "<text class=\"tick\" x=\"\(x(tick))\" y=\"\(y1 + 16)\" text-anchor=\"middle\">"
                    + "\(Self.label(tick, step: xStep))</text>\n")
        }
        for tick in yTicks {
            out.append(
                string: "<line class=\"grid\" x1=\"\(x0)\" y1=\"\(y(tick))\" x2=\"\(x1)\" y2=\"\(y(tick))\"/>"
                    + "<text class=\"tick\" x=\"\(x0 - 6)\" y=\"\(y(tick))\" dy=\"4\" text-anchor=\"end\">"
                    + "\(Self.label(tick, step: yStep))</text>\n")
        }
        out.append(
            string: "<text class=\"axis\" x=\"\((x0 + x1) / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\">"
                + "\(HTMLText.escape(xLabel))</text>\n"
                + "<text class=\"axis\" x=\"14\" y=\"\((y0 + y1) / 2)\" text-anchor=\"middle\" "
                + "transform=\"rotate(-90 14 \((y0 + y1) / 2))\">\(HTMLText.escape(yLabel))</text>\n")
    }

    func close(into out: inout TextBuffer) { out.append("</svg>\n") }
}
