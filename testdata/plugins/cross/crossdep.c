/* A library the cross-built plugins depend on (Mach-O @rpath, DLL beside). */
#if defined(_WIN32)
__declspec(dllexport)
#else
__attribute__((visibility("default")))
#endif
int crossdep_function(void) { return 7; }
