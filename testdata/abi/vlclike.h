/* A host in the shape of VLC: the version is in the entry symbol's name. */
typedef int (*vlc_set_cb)(void *opaque, void *target, int property, ...);
int vlc_entry(vlc_set_cb set, void *opaque);
