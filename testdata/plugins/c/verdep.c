/* libverdep.so, with versioned symbols. The plugin links against the copy
 * built with -DVERDEP_2 (which adds verdep_new@@VERDEP_2) and is deployed
 * beside the older copy, which defines VERDEP_1 only: as when a plugin built
 * on a new distribution meets an older glibc. */
__attribute__((visibility("default"))) int verdep_old(void) { return 1; }
#ifdef VERDEP_2
__attribute__((visibility("default"))) int verdep_new(void) { return 2; }
#endif
