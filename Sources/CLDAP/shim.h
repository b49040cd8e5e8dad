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

#endif
