/* The library needs_missing.c links against; deleted after the link. */
__attribute__((visibility("default"))) int gone_function(void) { return 0; }
