/* A Mach-O executable for inspect: the linker adds __mh_execute_header. */
int main(void) { return 0; }
