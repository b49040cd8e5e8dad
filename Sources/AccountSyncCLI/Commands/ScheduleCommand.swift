import AccountSyncApp
import AccountSyncConfig
import ArgumentParser
import Foundation

/// `account-sync schedule …`: the systemd timer's time comes from `sync.dailyAt`, so the config
/// is the one source of truth.
struct ScheduleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule", abstract: "Show or install the daily run's time from sync.update / sync.dailyAt.",
        subcommands: [Show.self, Install.self], defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the timer's OnCalendar= value, or 'manual'.")
        @OptionGroup var options: GlobalOptions

        func run() throws {
            print(ScheduleCommand.calendar(try options.app().config.update) ?? "manual")
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the timer drop-in account-sync.timer.d/schedule.conf from the config.",
            discussion: "Then: systemctl daemon-reload. With update: manual the drop-in is removed and scheduled runs skip.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "The systemd unit folder.") var unitDirectory = "/etc/systemd/system"

        func run() throws {
            let config = try options.app().config
            let folder = unitDirectory + "/account-sync.timer.d"
            let file = folder + "/schedule.conf"
            guard let calendar = ScheduleCommand.calendar(config.update) else {
                try? FileManager.default.removeItem(atPath: file)
                print("sync.update is manual: removed \(file); scheduled runs will skip")
                return
            }
            try report { () throws(AppError) in
                do {
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                    let text = "# Written by `account-sync schedule install` from \(config.file); edit sync.dailyAt there.\n[Timer]\nOnCalendar=\nOnCalendar=\(calendar)\n"
                    try text.write(toFile: file, atomically: true, encoding: .utf8)
                    chmod(file, 0o644)  // systemd's unit files are world-readable, whatever our umask
                } catch {
                    throw AppError(.storeUnavailable, "cannot write \(file): \(error.localizedDescription)")
                }
            }
            print("wrote \(file): OnCalendar=\(calendar)")
        }
    }

    static func calendar(_ schedule: UpdateSchedule) -> String? {
        guard case .daily(let hour, let minute) = schedule else { return nil }
        return String(format: "*-*-* %02d:%02d:00", hour, minute)
    }
}
