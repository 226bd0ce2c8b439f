#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/real.h"

struct hb_real hb_real;

static void *find(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);
	if (!p) {
		/* Loaded by dlopen with RTLD_LOCAL the next object may not be libc: ask libc itself. */
		void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
		if (libc)
			p = dlsym(libc, name);
	}
	return p;
}

void hb_real_resolve(void)
{
	/* Every one of these exists in glibc >= 2.34; a missing one means a libc we do not know: fail loudly. */
#define HB_REAL_FIND(ret, name, args)                                               \
	if (!hb_real.name) {                                                        \
		hb_real.name = (ret(*) args)find(#name);                            \
		if (!hb_real.name) {                                                \
			static const char msg[] = "libhbshim: libc lacks " #name "\n"; \
			(void)!syscall(1, 2, msg, sizeof msg - 1);                  \
			abort();                                                    \
		}                                                                   \
	}
	HB_REAL_FUNCS(HB_REAL_FIND)
#undef HB_REAL_FIND
}
