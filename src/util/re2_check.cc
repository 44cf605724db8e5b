/* The C interface of re2_check.h: see there. */
#include "autoconf.h"

#include <cstdio>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>

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

/* Verdicts of recent patterns: a tree often repeats a regex (and every
 * full build sees all of them again), and compiling one costs 10-50 us.
 * Keyed by the pattern alone; the size is kept, the limit applied on each
 * call. Bounded: cleared when full; long patterns are not kept. */
struct verdict {
	bool ok;
	int size;
	std::string error;
};
static std::mutex memo_mu;
static std::unordered_map<std::string, verdict> memo;
static const size_t MEMO_MAX = 8192, MEMO_PATTERN_MAX = 1024;

static verdict
compile(const char *re)
{
	/* Envoy: RE2(regex, RE2::Quiet), every other option left at its
	 * default (UTF-8, Perl classes, 8 MiB max_mem). */
	RE2 compiled(re, RE2::Quiet);

	if (!compiled.ok())
		return verdict{ false, 0, compiled.error() };
	return verdict{ true, compiled.ProgramSize(), std::string() };
}

static verdict
lookup(const char *re)
{
	size_t len = std::char_traits<char>::length(re);

	if (len > MEMO_PATTERN_MAX)
		return compile(re);
	std::string key(re, len);
	{
		std::lock_guard<std::mutex> lock(memo_mu);
		auto it = memo.find(key);

		if (it != memo.end())
			return it->second;
	}
	verdict v = compile(re);
	std::lock_guard<std::mutex> lock(memo_mu);

	if (memo.size() >= MEMO_MAX)
		memo.clear();
	memo.emplace(std::move(key), v);
	return v;
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
		verdict v = lookup(re);

		if (!v.ok) {
			set_why(why, whylen, v.error);
			return RE2_CHECK_INVALID;
		}
		int size = v.size;

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
