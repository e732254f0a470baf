/* libplugmid.so: a dependency that itself needs a library that is gone. */
extern int gone_function(void);
__attribute__((visibility("default"))) int mid_function(void) { return gone_function(); }
