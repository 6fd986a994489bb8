import FuzzSupport
import JobkitHealth

/// Any text as a Prometheus rule file: the YAML reader, rulefmt checks, templates and PromQL answer
/// rule groups or positioned problems, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzRuleFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = try? RuleFile.parse(text(data, size), file: "fuzz.yml")
    return 0
}

runFuzzer(fuzzRuleFile)
