/* A library plugins depend on, built into several directories (deps/a,
 * deps/b) to show which one the loader's search order picks. DEP_WHERE
 * names the copy. */
#ifndef DEP_WHERE
#define DEP_WHERE "?"
#endif
__attribute__((visibility("default"))) const char *plugdep_where(void) { return DEP_WHERE; }
