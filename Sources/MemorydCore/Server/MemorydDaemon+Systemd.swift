import Jobkit
import JobkitDaemon
import JobkitHealth

extension MemorydDaemon {
    /// Re-reads the config (SIGHUP, `POST /v1/reload`), telling systemd while it does.
    func reload() -> ConfigState.Outcome { Self.reload(configState, systemd) }

    static func reload(_ configState: ConfigState, _ systemd: SystemdNotifier) -> ConfigState.Outcome {
        systemd.notify(.reloading, status: "reloading the config")
        let outcome = configState.reload()
        let jobs = configState.pipeline?.config.jobs.count ?? 0
        systemd.notify(.ready, status: "running \(jobs) jobs; last reload \(outcome.succeeded ? "done" : "refused")")
        return outcome
    }

    /// `STATUS=` once the daemon is ready.
    func readyStatus() -> String {
        let jobs = configState.pipeline?.config.jobs.count ?? 0
        return "listening on \(server.addresses.joined(separator: " and ")); \(jobs) jobs"
    }

    /// Sends systemd `WATCHDOG=1` at half its `WatchdogSec`, but only while the daemon's own loops are
    /// petted: a stuck scheduler or evaluation loop then makes systemd restart the daemon. Stuck tasks and
    /// stale jobs are alerts, not reasons to restart.
    func petSystemdWatchdog() async {
        guard let interval = systemd.watchdogInterval else { return }
        while !Task.isCancelled {
            if health.loopsAnswer { systemd.notify(.watchdog) }
            guard (try? await scheduler.clock.sleep(for: interval)) != nil else { return }
        }
    }
}
