/// Packets waiting for their release time: a binary heap on (time, arrival order), so equal
/// times keep their order and thousands in flight (a long delay at full speed) stay cheap.
struct TimedQueue {
    private var heap: [(time: Double, order: Int, bytes: [UInt8])] = []
    private var counter = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }
    var nextTime: Double? { heap.first?.time }

    private func earlier(_ a: Int, _ b: Int) -> Bool {
        heap[a].time < heap[b].time || (heap[a].time == heap[b].time && heap[a].order < heap[b].order)
    }

    mutating func add(_ bytes: [UInt8], at time: Double) {
        counter += 1
        heap.append((time, counter, bytes))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard earlier(child, parent) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// The earliest packet, if it is due by `now`.
    mutating func popDue(_ now: Double) -> [UInt8]? {
        guard let first = heap.first, first.time <= now else { return nil }
        heap.swapAt(0, heap.count - 1)
        let bytes = heap.removeLast().bytes
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count && earlier(left, smallest) { smallest = left }
            if right < heap.count && earlier(right, smallest) { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return bytes
    }
}
