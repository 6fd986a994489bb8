/// Hands every activity to several observers, in order, each only the kinds it is interested in.
public struct MultiplexJobObserver: JobObserver {
    public let observers: [any JobObserver]
    /// Each observer's interests, read once.
    private let observerInterests: [JobActivity.Kinds]
    public let interests: JobActivity.Kinds

    public init(_ observers: [any JobObserver]) {
        self.observers = observers
        self.observerInterests = observers.map(\.interests)
        self.interests = observerInterests.reduce(into: []) { $0.formUnion($1) }
    }

    public func observe(_ activity: JobActivity) {
        let kind = activity.kind
        // By index, so neither the activity nor the observers are copied to be handed on.
        for index in observers.indices where observerInterests[index].contains(kind) {
            observers[index].observe(activity)
        }
    }
}
