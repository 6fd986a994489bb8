/// Hands every activity to several observers, in order.
public struct MultiplexJobObserver: JobObserver {
    public let observers: [any JobObserver]

    public init(_ observers: [any JobObserver]) {
        self.observers = observers
    }

    public func observe(_ activity: JobActivity) {
        for observer in observers { observer.observe(activity) }
    }
}
