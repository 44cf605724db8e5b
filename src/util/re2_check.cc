/* The C interface of re2_check.h: see there. */
#include "autoconf.h"

#include <cstdio>
#include <new>
#include <string>

#include <re2/re2.h>

extern "C" {
#include "util/re2_check.h"
}

static void
set_why(char *why, size_t whylen, const std::string &text)
{
	if (why == nullptr || whylen == 0)
		return;
	std::snprintf(why, whylen, "%s", text.c_str());
}

extern "C" enum re2_check_result
re2_check(const char *re, int max_program_size, int *size_out, char *why,
    size_t whylen)
{
	if (size_out != nullptr)
		*size_out = 0;
	if (why != nullptr && whylen > 0)
		why[0] = '\0';
	if (re == nullptr) {
		set_why(why, whylen, "no regular expression");
		return RE2_CHECK_INVALID;
	}
	try {
		/* Envoy: RE2(regex, RE2::Quiet), every other option left at
		 * its default (UTF-8, Perl classes, 8 MiB max_mem). */
		RE2 compiled(re, RE2::Quiet);

		if (!compiled.ok()) {
			set_why(why, whylen, compiled.error());
			return RE2_CHECK_INVALID;
		}
		int size = compiled.ProgramSize();

		if (size_out != nullptr)
			*size_out = size;
		if (max_program_size > 0 && size > max_program_size) {
			set_why(why, whylen, "RE2 program size of " +
			    std::to_string(size) + " is over the limit of " +
			    std::to_string(max_program_size) +
			    " (envoy.regex-max-program-size)");
			return RE2_CHECK_TOO_BIG;
		}
		return RE2_CHECK_OK;
	} catch (const std::bad_alloc &) {
		set_why(why, whylen, "out of memory compiling the regular expression");
		return RE2_CHECK_INVALID;
	} catch (...) {
		set_why(why, whylen, "the regular expression could not be compiled");
		return RE2_CHECK_INVALID;
	}
}
