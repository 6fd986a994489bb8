import FoundationEssentials
import Jobkit
import JobkitHealth

/// A job's `health_check` command, as a ``HealthCheck``: exit status 0 is ok, 1 warning, any other status,
/// a signal, no answer within the timeout or a program that cannot start critical. The first line of its
/// output is the message. It runs with the job's `env` and `cwd`, plus `MEMORYD_JOB`.
struct CommandHealthCheck: Sendable {
    let job: String
    let command: ShortCommand

    /// Exit statuses, as monitoring plugins use them.
    static let okStatus: Int32 = 0
    static let warningStatus: Int32 = 1

    init(job: MemorydConfig.Job, command: [String], timeout: Duration) {
        self.job = job.name
        var environment = job.environment
        environment["MEMORYD_JOB"] = job.name
        self.command = ShortCommand(
            argv: command, environment: environment, workingDirectory: job.workingDirectory, timeout: timeout)
    }

    /// The check, named after the job and labelled with it. Its own timeout leaves the command time to be
    /// stopped, so the answer is this check's, not the generic one.
    func check(interval: Duration) -> HealthCheck {
        HealthCheck(
            job, labels: [JobkitMetricsObserver.jobTypeLabel: job], interval: interval,
            timeout: command.timeout + command.killGrace + .seconds(1)
        ) { [self] in
            result(of: await command.run())
        }
    }

    func result(of outcome: ShortCommand.Outcome) -> HealthCheckResult {
        let firstLine = String(outcome.output.prefix { $0 != "\n" })
        let program = command.argv[0]
        if outcome.timedOut {
            return .critical("\(program) did not answer within \(MemorydConfig.compact(command.timeout))")
        }
        switch outcome.status {
        case nil:
            return .critical(outcome.output)
        case .exited(Self.okStatus):
            return .ok(firstLine.isEmpty ? "ok" : firstLine)
        case .exited(Self.warningStatus):
            return .warning(firstLine.isEmpty ? "\(program) exited with status 1" : firstLine)
        case .exited(let code):
            return .critical(firstLine.isEmpty ? "\(program) exited with status \(code)" : firstLine)
        case .signalled(let signal):
            return .critical("\(program) was killed by signal \(signal)")
        }
    }
}
