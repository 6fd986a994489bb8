import FuzzSupport
import MemorydCore

/// Any text as a config file: the TOML parser and the config decoder answer a config or errors with
/// file:line:column, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTOML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = try? MemorydConfig.parse(text(data, size), file: "fuzz.toml", environment: ["HOME": "/nonexistent"])
    return 0
}

runFuzzer(fuzzTOML)
