import FuzzSupport
import JobkitHealth

/// Any text given to the PromQL parser: a parsed expression or a PromQLError, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzPromQL(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = try? PromQLParser.parse(text(data, size))
    return 0
}

runFuzzer(fuzzPromQL)
