/// memoryd's version: what `memoryd --version` prints, `GET /v1/status` answers and
/// `memoryd_build_info{version}` carries.
public enum MemorydVersion {
    /// Semantic version of this memoryd.
    public static let current = "0.5.0"
}
