/* deps/inh/libinhmid.so: needs libplugdep.so and has no search path of its
 * own, so the loader can find libplugdep.so only through the DT_RPATH of the
 * plugin that loaded it (inherited), never through a DT_RUNPATH (not). */
extern const char *plugdep_where(void);
__attribute__((visibility("default"))) const char *inhmid_where(void) { return plugdep_where(); }
