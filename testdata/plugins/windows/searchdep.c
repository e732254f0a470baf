/* The dependency search.c imports; DEP_WHERE names the copy. */
#ifndef DEP_WHERE
#define DEP_WHERE "?"
#endif
__declspec(dllexport) const char *searchdep_where(void) { return DEP_WHERE; }
