// SQLiteTuning: process-wide SQLite settings that Swift cannot make itself (sqlite3_config is
// variadic). Called once, before the first connection opens.
#ifndef SQLITE_TUNING_H
#define SQLITE_TUNING_H

/// Multi-thread mode (no mutex on each connection: GRDB uses a connection from one thread at a
/// time) and no memory statistics (no global mutex on every allocation). Debian's SQLite is built
/// serialized and counting. Returns 1 when both took effect, 0 when SQLite was already started.
int sqlite_tuning_apply(void);

#endif
