import Testing
@testable import DatasetFormats
import SyncCore

@Suite("CSV and JSON Lines dataset files")
struct DatasetFileTests {
    func users(_ text: String, format: DatasetFormat = .csv) throws -> [UserRow] {
        guard case .users(let rows) = try DatasetReader(kind: .users).read(bytes: Array(text.utf8), file: "people.csv", format: format) else {
            Issue.record("not users")
            return []
        }
        return rows
    }

    func error(_ text: String, kind: DatasetKind = .users, format: DatasetFormat = .csv) -> DatasetFileError? {
        do {
            _ = try DatasetReader(kind: kind).read(bytes: Array(text.utf8), file: "f.csv", format: format)
            return nil
        } catch {
            return error
        }
    }

    @Test func quotedFieldsHoldCommasQuotesAndNewlines() throws {
        let rows = try users("account,name,groupIds\r\nalice,\"Smith, Alice \"\"Al\"\"\nsecond line\",g1;g2\r\nbob,Bob,\n")
        #expect(rows.count == 2)
        #expect(rows[0].name == "Smith, Alice \"Al\"\nsecond line")
        #expect(rows[0].groupIds == ["g1", "g2"])
        #expect(rows[1].groupIds == [])
    }

    @Test func byteOrderMarkAndUTF8AreRead() throws {
        let rows = try users("\u{FEFF}account,name\nzhang.wei,张伟\n")
        #expect(rows.first?.account == "zhang.wei")
        #expect(rows.first?.name == "张伟")
    }

    @Test func headerIsCaseInsensitiveAndThirdPartyColumnsAreKept() throws {
        let rows = try users("Account,EMAIL,thirdParty.wecom\nalice,a@x.com,wx-1\n")
        #expect(rows.first?.email == "a@x.com")
        #expect(rows.first?.thirdParty == ["wecom": "wx-1"])
    }

    @Test(arguments: [("true", true), ("YES", true), ("1", true), ("false", false), ("no", false), ("0", false), ("", false)])
    func disabledValues(text: String, expected: Bool) throws {
        #expect(try users("account,disabled\na,\(text)\n").first?.disabled == expected)
    }

    @Test func badDisabledValueNamesLineAndColumn() {
        let error = error("account,disabled\na,yes\nb,maybe\n")
        #expect(error?.line == 3)
        #expect(error?.description.contains("f.csv:3: column 'disabled': 'maybe'") == true)
    }

    @Test func unterminatedQuoteNamesTheLineWhereItStarts() {
        let error = error("account,name\na,ok\nb,\"never closed\nc,x\n")
        #expect(error?.line == 3)
        #expect(error?.message.contains("never closed") == true)
    }

    @Test func wrongFieldCountNamesTheLine() {
        #expect(error("account,name\na,A\nb,B,extra\n")?.line == 3)
    }

    @Test func lineNumbersCountNewlinesInsideQuotes() {
        let error = error("account,name\na,\"two\nlines\"\nb,B,extra\n")
        #expect(error?.line == 4)
    }

    @Test func unknownColumnIsRefused() {
        let error = error("account,nmae\na,A\n")
        #expect(error?.line == 1)
        #expect(error?.message.contains("unknown column 'nmae'") == true)
    }

    @Test func missingRequiredColumnIsRefused() {
        #expect(error("name\nA\n")?.message.contains("no 'account' column") == true)
        #expect(error("name\nA\n", kind: .groups)?.message.contains("no 'groupId' column") == true)
    }

    @Test func invalidUTF8IsRefusedWithItsLine() {
        var bytes = Array("account,name\na,ok\nb,".utf8)
        bytes += [0xFF, 0xFE, 0x0A]
        do {
            _ = try DatasetReader(kind: .users).read(bytes: bytes, file: "f.csv", format: .csv)
            Issue.record("accepted invalid UTF-8")
        } catch {
            #expect(error.line == 3)
            #expect(error.message.contains("UTF-8"))
        }
    }

    /// Fields are read in place between delimiters: every kind of line end and file end gives
    /// the same records.
    @Test(arguments: ["a,b\nc,d\n", "a,b\r\nc,d\r\n", "a,b\rc,d\r", "a,b\nc,d", "\na,b\n\n\nc,d\n\n", "\u{FEFF}a,b\nc,d", "a,\"b\"\nc,\"d\""])
    func recordsAreTheSameWhateverTheLineEnds(text: String) throws {
        let records = try CSVReader(file: "f.csv").records(Array(text.utf8))
        #expect(records.map(\.fields) == [["a", "b"], ["c", "d"]])
    }

    @Test func emptyFieldsAtTheEndsOfALineAreKept() throws {
        let records = try CSVReader(file: "f.csv").records(Array(",a,\n\"\",,\nz,".utf8))
        #expect(records.map(\.fields) == [["", "a", ""], ["", "", ""], ["z", ""]])
        #expect(records.map(\.line) == [1, 2, 3])
    }

    @Test func textAfterAClosingQuoteIsRefused() {
        #expect(error("account,name\na,\"Al\"x\n")?.line == 2)
    }

    @Test func strayQuoteInsideAnUnquotedFieldIsRefused() {
        #expect(error("account,name\na,Al \"the\" man\n")?.line == 2)
    }

    @Test func emptyFileIsRefused() {
        #expect(error("")?.message.contains("empty") == true)
    }

    @Test func jsonLinesAreRead() throws {
        let text = """
            {"account": "alice", "groupIds": ["g1", "g2"], "disabled": true, "thirdParty": {"wecom": "w1"}}

            {"account": "bob", "disabled": "no", "mobile": 8613800138000}
            """
        let rows = try users(text, format: .jsonLines)
        #expect(rows.count == 2)
        #expect(rows[0].groupIds == ["g1", "g2"])
        #expect(rows[0].disabled)
        #expect(rows[0].thirdParty == ["wecom": "w1"])
        #expect(rows[1].disabled == false)
        #expect(rows[1].mobile == "8613800138000")
    }

    @Test func malformedJSONLineIsRefusedWithItsLine() {
        let error = error("{\"account\": \"a\"}\n{\"account\": \"b\"\n", format: .jsonLines)
        #expect(error?.line == 2)
        #expect(error?.message.contains("not valid JSON") == true)
    }

    @Test func jsonLinesUnknownFieldAndNonObjectAreRefused() {
        #expect(error("{\"acount\": \"a\"}\n", format: .jsonLines)?.message.contains("unknown field 'acount'") == true)
        #expect(error("[1, 2]\n", format: .jsonLines)?.message.contains("one JSON object") == true)
    }

    @Test func groupsAreRead() throws {
        let contents = try DatasetReader(kind: .groups).read(bytes: Array("groupId,name,parentGroupId\nroot,Root,\nchild,\"Child, Inc\",root\n".utf8), file: "g.csv", format: .csv)
        #expect(contents == .groups([GroupRow(groupId: "root", name: "Root"), GroupRow(groupId: "child", name: "Child, Inc", parentGroupId: "root")]))
    }
}

@Suite("JSON Lines writer")
struct JSONLinesWriterTests {
    @Test func usersRoundTripThroughTheReader() throws {
        let rows = [
            UserRow(account: "alice", name: "Smith, \"Al\"\nline\t2 \\ \u{1}", email: "a@x", mobile: "+86 1", accountType: "Administrator",
                    groupIds: ["g1", "g\"2"], disabled: true, externalId: "e-1", thirdParty: ["ldapDN": "uid=alice,ou=Sales\\2C EMEA", "wecom": "张伟"]),
            UserRow(account: "bob"),
        ]
        let text = JSONLinesWriter.lines(rows)
        let read = try DatasetReader(kind: .users).read(bytes: Array(text.utf8), file: "u.jsonl", format: .jsonLines)
        #expect(read == .users(rows))
    }

    @Test func groupsRoundTripThroughTheReader() throws {
        let rows = [GroupRow(groupId: "ou-1", name: "Forschung Zürich", parentGroupId: "", externalId: "1"), GroupRow(groupId: "ou-2", name: "Sales, EMEA", parentGroupId: "ou-1")]
        let read = try DatasetReader(kind: .groups).read(bytes: Array(JSONLinesWriter.lines(rows).utf8), file: "g.jsonl", format: .jsonLines)
        #expect(read == .groups(rows))
    }

    /// The columns are the dataset contract's (DESIGN.md), in its order.
    @Test func theColumnsAreTheContracts() {
        #expect(DatasetColumns.users == ["account", "name", "email", "mobile", "accountType", "groupIds", "disabled", "externalId"])
        #expect(DatasetColumns.groups == ["groupId", "name", "parentGroupId", "externalId"])
    }

    /// Columns in any order, some missing, non-ASCII and third-party ones: each cell lands in its field.
    @Test func cellsLandInTheirFieldsWhateverTheHeaderOrder() throws {
        let text = "thirdParty.hr,externalId,account,name,groupIds\n4711,guid-1,anne,Anne Müller,eng; ops\n,guid-2,bob,Bob,\n"
        guard case .users(let rows) = try DatasetReader(kind: .users).read(bytes: Array(text.utf8), file: "p.csv", format: .csv) else {
            Issue.record("not users")
            return
        }
        #expect(rows == [
            UserRow(account: "anne", name: "Anne Müller", groupIds: ["eng", "ops"], externalId: "guid-1", thirdParty: ["hr": "4711"]),
            UserRow(account: "bob", name: "Bob", externalId: "guid-2"),
        ])
    }
}
