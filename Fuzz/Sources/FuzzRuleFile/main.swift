import FuzzSupport
import JobkitHealth

/// The labels and value every fuzzed alert template is expanded with.
let sampleLabels: Labels = ["__name__": "up", "job": "node", "instance": "host:9100"]

/// Any text as a Prometheus rule file: the YAML reader, rulefmt checks, templates and PromQL answer
/// rule groups or positioned problems, never a crash; each alert's templates that load are expanded
/// too, with a `query` that answers the sample, so the template executor meets what the parser lets by.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzRuleFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let groups = try? RuleFile.parse(text(data, size), file: "fuzz.yml") else { return 0 }
    let environment = AlertTemplate.Environment(externalLabels: ["region": "eu"], externalURL: "http://host:9090/p") { _ in
        [TemplateSample(labels: sampleLabels, value: 1)]
    }
    for rule in groups.flatMap(\.rules) {
        for template in rule.labels.map(\.template) + rule.annotations.map(\.template) {
            _ = template.expand(labels: sampleLabels, value: 0.5, environment: environment)
        }
    }
    return 0
}

runFuzzer(fuzzRuleFile)
