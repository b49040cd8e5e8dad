import CYaml

/// YAML aliases and anchors are refused in the config: an alias used as a mapping key makes the
/// YAML library expand and hash it in full (a 600-byte file hangs every command), and a config
/// needs neither. Found with libyaml's scanner, before any node is composed.
enum YAMLAliases {
    /// The line (1-based) of the first anchor or alias, or nil when there is none.
    static func firstUse(in text: String) -> (line: Int, isAlias: Bool)? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer -> (line: Int, isAlias: Bool)? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            while true {
                var token = yaml_token_t()
                guard yaml_parser_scan(&parser, &token) == 1 else { return nil }
                defer { yaml_token_delete(&token) }
                switch token.type {
                case YAML_ALIAS_TOKEN: return (Int(token.start_mark.line) + 1, true)
                case YAML_ANCHOR_TOKEN: return (Int(token.start_mark.line) + 1, false)
                case YAML_STREAM_END_TOKEN, YAML_NO_TOKEN: return nil
                default: continue
                }
            }
        }
    }
}
