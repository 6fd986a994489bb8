extension StringProtocol {
    /// The text without leading and trailing whitespace (spaces, tabs, line breaks).
    ///
    /// `FoundationEssentials` has no `trimmingCharacters(in:)`, and memoryd links only that, not
    /// `Foundation`, to keep its resident size small.
    package func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }),
            let last = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(self[first...last])
    }
}
