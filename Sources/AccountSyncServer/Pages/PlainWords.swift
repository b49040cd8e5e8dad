import SyncCore
import SyncStore

/// Plain words for the codes of runs and items: what happened and what to do.
enum PlainWords {
    static func headline(_ code: FailureCode) -> String {
        switch code {
        case .datasetMissing: "The dataset used for Account Sync no longer exists"
        case .sourceIncomplete: "The directory pull did not finish"
        case .sourceEmpty: "The source is empty while the system has managed accounts"
        case .safeguardTripped: "The deletion safeguard stopped this run"
        case .interrupted: "The run was interrupted"
        case .configInvalid: "The configuration is not valid"
        case .storeError: "The account store failed"
        case .allItemsFailed: "Every row failed its checks"
        }
    }

    static func whatToDo(_ code: FailureCode) -> String {
        switch code {
        case .datasetMissing: "Import the dataset again, or choose another one under Account Sync → Edit, then run again."
        case .sourceIncomplete: "Check the connection to the directory (test-bind) and run again. Nothing was changed."
        case .sourceEmpty: "Check the source (its base and filter). If everyone really left, approve this run below."
        case .safeguardTripped: "Check the list below. If these deletions are expected, approve this run with a reason; otherwise fix the source."
        case .interrupted: "Nothing of this run was applied. Run again."
        case .configInvalid: "Fix the settings named in the message, then run again."
        case .storeError: "Nothing of this run was applied. Check the disk and the store, then run again."
        case .allItemsFailed: "Open the failed users and groups below, fix the dataset, and run again."
        }
    }

    /// The name of an item's code, as the product doc words it.
    static func reason(_ code: ItemCode) -> String {
        switch code {
        case .groupParentNotFound: "Incorrect user group parent ID"
        case .groupParentIsSelf: "Parent user group ID is the group's own ID"
        case .groupParentCycle: "User group parents form a cycle"
        case .duplicateGroupId: "Duplicate user group ID"
        case .duplicateAccount: "Duplicate user account"
        case .accountExists: "Account already exists"
        case .duplicateMobile: "Mobile number already in use"
        case .duplicateEmail: "Email already in use"
        case .invalidAccountType: "Invalid account type"
        case .valueTooLong: "Value too long"
        case .missingRequiredField: "Required field missing"
        case .unknownGroup: "Unknown user group"
        case .editableLicenseExceeded: "Editable-user license limit reached"
        case .userLicenseExceeded: "User license limit reached"
        case .resourcesNotTransferred: "Resources not yet transferred"
        case .protected: "Protected"
        case .safeguardTripped: "Stopped by the safeguard"
        case .memberNotFound: "Member not found"
        case .entrySkipped: "Entry skipped"
        case .referenceSkipped: "Reference not followed"
        case .identityFallback: "Identity fallback"
        }
    }

    static func status(_ status: RunStatus) -> String {
        switch status {
        case .running: "Running"
        case .success: "Success"
        case .partiallyFailed: "Partially Failed"
        case .failed: "Failed"
        }
    }

    static func trigger(_ trigger: RunTrigger) -> String {
        switch trigger {
        case .manual: "command line"
        case .scheduled: "schedule"
        case .api: "Admin Center or API"
        case .agent: "connector agent"
        }
    }
}
