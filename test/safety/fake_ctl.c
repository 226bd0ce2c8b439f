/* A process holding a memfd named like the shim's control block ("hb-ctl"), with the mode and owner given
 * on the command line: what a tampered or impostor block looks like to hb. Prints "ready", then waits.
 *   fake_ctl MODE [UID]      e.g. fake_ctl 644, fake_ctl 600 65534 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../shim/common/control.h" /* HB_CB_NAME */

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int fd = memfd_create(HB_CB_NAME, MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 1 << 20) != 0 || fchmod(fd, (mode_t)strtol(argv[1], 0, 8)) != 0)
		return perror("memfd"), 1;
	if (argc > 2 && fchown(fd, (uid_t)atoi(argv[2]), (gid_t)-1) != 0)
		return perror("fchown"), 1;
	printf("ready\n");
	fflush(stdout);
	pause();
	return 0;
}
