/// The functions of PromQL as of Prometheus 2.42 (native-histogram ones excepted).
public enum PromQLFunction: String, Sendable, Hashable, CaseIterable {
    case abs, absent, absent_over_time, acos, acosh, asin, asinh, atan, atanh, avg_over_time, ceil, changes
    case clamp, clamp_max, clamp_min, cos, cosh, count_over_time, days_in_month, day_of_month, day_of_week
    case day_of_year, deg, delta, deriv, exp, floor, histogram_quantile, holt_winters, hour, idelta, increase
    case irate, label_replace, label_join, last_over_time, ln, log10, log2, max_over_time, min_over_time, minute
    case month, pi, predict_linear, present_over_time, quantile_over_time, rad, rate, resets, round, scalar, sgn
    case sin, sinh, sort, sort_desc, sqrt, stddev_over_time, stdvar_over_time, sum_over_time, tan, tanh, time
    case timestamp, vector, year

    /// Argument types and the result type.
    public struct Signature: Sendable {
        var parameters: [ValueType]
        /// How many trailing parameters may be left out; `nil` when the last one repeats without bound.
        var optional: Int? = 0
        var returns: ValueType = .vector

        var minimumArguments: Int { parameters.count - (optional ?? 1) }
        var maximumArguments: Int? { optional.map { _ in parameters.count } }
    }

    public var signature: Signature {
        switch self {
        case .time, .pi: Signature(parameters: [], returns: .scalar)
        case .scalar: Signature(parameters: [.vector], returns: .scalar)
        case .vector: Signature(parameters: [.scalar])
        case .days_in_month, .day_of_month, .day_of_week, .day_of_year, .hour, .minute, .month, .year:
            Signature(parameters: [.vector], optional: 1)
        case .round: Signature(parameters: [.vector, .scalar], optional: 1)
        case .clamp: Signature(parameters: [.vector, .scalar, .scalar])
        case .clamp_max, .clamp_min: Signature(parameters: [.vector, .scalar])
        case .histogram_quantile: Signature(parameters: [.scalar, .vector])
        case .holt_winters: Signature(parameters: [.matrix, .scalar, .scalar])
        case .predict_linear: Signature(parameters: [.matrix, .scalar])
        case .quantile_over_time: Signature(parameters: [.scalar, .matrix])
        case .label_replace: Signature(parameters: [.vector, .string, .string, .string, .string])
        case .label_join: Signature(parameters: [.vector, .string, .string, .string], optional: nil)
        case .absent_over_time, .avg_over_time, .changes, .count_over_time, .delta, .deriv, .idelta, .increase,
            .irate, .last_over_time, .max_over_time, .min_over_time, .present_over_time, .rate, .resets,
            .stddev_over_time, .stdvar_over_time, .sum_over_time:
            Signature(parameters: [.matrix])
        case .abs, .absent, .acos, .acosh, .asin, .asinh, .atan, .atanh, .ceil, .cos, .cosh, .deg, .exp, .floor,
            .ln, .log10, .log2, .rad, .sgn, .sin, .sinh, .sort, .sort_desc, .sqrt, .tan, .tanh, .timestamp:
            Signature(parameters: [.vector])
        }
    }

    /// The type of argument `index` (the repeated last one for variadic functions).
    func parameterType(at index: Int) -> ValueType {
        let parameters = signature.parameters
        return index < parameters.count ? parameters[index] : parameters[parameters.count - 1]
    }
}
