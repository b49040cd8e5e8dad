// CLDAP: OpenLDAP's C API (libldap, liblber) for Swift, plus tiny inline functions for what Swift
// cannot import (macros that expand to addresses or casts). Nothing above LDAPClient sees these.
#ifndef CLDAP_SHIM_H
#define CLDAP_SHIM_H

#include <ldap.h>
#include <lber.h>
#include <sys/time.h>

/// LDAP_OPT_ON / LDAP_OPT_OFF expand to the address of a global: not importable as a constant.
static inline void *cldap_opt_on(void) { return LDAP_OPT_ON; }
static inline void *cldap_opt_off(void) { return LDAP_OPT_OFF; }

/// LDAP_SASL_SIMPLE is `((char *)0)`.
static inline const char *cldap_sasl_simple(void) { return LDAP_SASL_SIMPLE; }

/// Puts liblber's read-ahead layer under the connection's other layers (TLS sits above it), so
/// that libldap's small reads of each message's tag, length and body come out of one buffer
/// instead of a system call each. Returns 1 when it is in place (added now or before), else 0.
static inline int cldap_add_read_ahead(LDAP *ld, int size) {
    Sockbuf *sb = NULL;
    if (ldap_get_option(ld, LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS || sb == NULL) return 0;
    if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_HAS_IO, &ber_sockbuf_io_readahead) == 1) return 1;
    return ber_sockbuf_add_io(sb, &ber_sockbuf_io_readahead, LBER_SBIOD_LEVEL_PROVIDER, &size) == 0 ? 1 : 0;
}

#endif
