/* PEM certificates, keys and CRLs checked with OpenSSL, block by block,
 * so that a message can say which block of which item is wrong. */
#include "tls/tls.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* OpenSSL's reason for the last failure, without its file/line noise. */
static const char *
ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : "unknown error";
}

static BIO *
mem_bio(const void *data, size_t len)
{
	ERR_clear_error();
	return BIO_new_mem_buf(data, len > INT32_MAX ? INT32_MAX : (int)len);
}

/* The PEM blocks of a buffer, one at a time. Returns 1 with a block, 0 at
 * the end, -1 on a malformed block (why set). */
struct pem_block {
	char *name;
	char *header;
	unsigned char *data;
	long len;
};

static void
pem_block_free(struct pem_block *b)
{
	OPENSSL_free(b->name);
	OPENSSL_free(b->header);
	OPENSSL_free(b->data);
	memset(b, 0, sizeof *b);
}

static int
pem_next(BIO *bio, size_t index, struct pem_block *b, char *why, size_t whylen)
{
	unsigned long e;

	memset(b, 0, sizeof *b);
	if (PEM_read_bio(bio, &b->name, &b->header, &b->data, &b->len) == 1)
		return 1;
	e = ERR_peek_last_error();
	if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
		/* No further "-----BEGIN": the end (text around blocks is
		 * ignored, as OpenSSL and BoringSSL do when Envoy loads it). */
		ERR_clear_error();
		return 0;
	}
	tls_why_set(why, whylen, "PEM block %zu is malformed: %s", index + 1, ssl_reason());
	ERR_clear_error();
	return -1;
}

static int64_t
asn1_time_unix(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

void
tls_format_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		snprintf(out, 32, "%lld", (long long)t);
	else
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
tls_check_certificates(const void *pem, size_t len, struct tls_cert_info *info,
    char *why, size_t whylen)
{
	struct tls_cert_info local;
	BIO *bio = mem_bio(pem, len);
	struct pem_block blk;
	int rc = -1, r;

	if (info == NULL)
		info = &local;
	memset(info, 0, sizeof *info);
	if (bio == NULL) {
		tls_why_set(why, whylen, "out of memory");
		return -1;
	}
	while ((r = pem_next(bio, info->ncerts, &blk, why, whylen)) == 1) {
		const unsigned char *p = blk.data;
		X509 *x;
		int64_t na;

		if (strcmp(blk.name, "CERTIFICATE") != 0 &&
		    strcmp(blk.name, "X509 CERTIFICATE") != 0) {
			tls_why_set(why, whylen, "PEM block %zu is a \"%s\", expected a "
			    "CERTIFICATE", info->ncerts + 1, blk.name);
			pem_block_free(&blk);
			goto out;
		}
		x = d2i_X509(NULL, &p, blk.len);
		if (x == NULL || p != blk.data + blk.len) {
			tls_why_set(why, whylen, "certificate %zu does not parse: %s",
			    info->ncerts + 1, x ? "trailing bytes" : ssl_reason());
			X509_free(x);
			pem_block_free(&blk);
			goto out;
		}
		na = asn1_time_unix(X509_get0_notAfter(x));
		if (info->ncerts == 0) {
			info->not_before = asn1_time_unix(X509_get0_notBefore(x));
			info->not_after = na;
			info->earliest_not_after = na;
			X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
			    info->subject, sizeof info->subject);
			if (info->subject[0] == '\0') {
				BIO *nb = BIO_new(BIO_s_mem());
				char *s = NULL;
				long n;

				if (nb != NULL) {
					X509_NAME_print_ex(nb, X509_get_subject_name(x), 0,
					    XN_FLAG_RFC2253);
					n = BIO_get_mem_data(nb, &s);
					snprintf(info->subject, sizeof info->subject, "%.*s",
					    (int)(n > 255 ? 255 : n), s ? s : "");
					BIO_free(nb);
				}
			}
		} else if (na < info->earliest_not_after) {
			info->earliest_not_after = na;
		}
		info->ncerts++;
		X509_free(x);
		pem_block_free(&blk);
	}
	if (r < 0)
		goto out;
	if (info->ncerts == 0) {
		tls_why_set(why, whylen, "no certificate found (expected a PEM block "
		    "\"-----BEGIN CERTIFICATE-----\")");
		goto out;
	}
	rc = 0;
out:
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

static int
no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static bool
is_key_block(const char *name)
{
	return strcmp(name, "PRIVATE KEY") == 0 ||
	    strcmp(name, "RSA PRIVATE KEY") == 0 ||
	    strcmp(name, "EC PRIVATE KEY") == 0;
}

/* The one private key of pem, or NULL with why set. */
static EVP_PKEY *
load_private_key(const void *pem, size_t len, char *why, size_t whylen)
{
	BIO *bio = mem_bio(pem, len);
	struct pem_block blk;
	size_t nblocks = 0, nkeys = 0;
	EVP_PKEY *pkey = NULL;
	int r;

	if (bio == NULL) {
		tls_why_set(why, whylen, "out of memory");
		return NULL;
	}
	while ((r = pem_next(bio, nblocks, &blk, why, whylen)) == 1) {
		nblocks++;
		if (strcmp(blk.name, "ENCRYPTED PRIVATE KEY") == 0 ||
		    (blk.header != NULL && strstr(blk.header, "ENCRYPTED") != NULL)) {
			tls_why_set(why, whylen, "the private key is encrypted: Envoy "
			    "needs it unencrypted (openssl pkey -in KEY -out KEY)");
			pem_block_free(&blk);
			goto fail;
		}
		if (is_key_block(blk.name)) {
			nkeys++;
		} else if (strcmp(blk.name, "EC PARAMETERS") != 0) {
			tls_why_set(why, whylen, "PEM block %zu is a \"%s\", expected a "
			    "PRIVATE KEY", nblocks, blk.name);
			pem_block_free(&blk);
			goto fail;
		}
		pem_block_free(&blk);
	}
	if (r < 0)
		goto fail;
	if (nkeys == 0) {
		tls_why_set(why, whylen, "no private key found (expected a PEM block "
		    "\"-----BEGIN PRIVATE KEY-----\")");
		goto fail;
	}
	if (nkeys > 1) {
		tls_why_set(why, whylen, "%zu private keys found, expected one", nkeys);
		goto fail;
	}
	BIO_free(bio);
	bio = mem_bio(pem, len);
	if (bio == NULL ||
	    (pkey = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL)) == NULL) {
		tls_why_set(why, whylen, "the private key does not parse: %s", ssl_reason());
		goto fail;
	}
	BIO_free(bio);
	ERR_clear_error();
	return pkey;
fail:
	BIO_free(bio);
	ERR_clear_error();
	return NULL;
}

int
tls_check_private_key(const void *pem, size_t len, char *why, size_t whylen)
{
	EVP_PKEY *pkey = load_private_key(pem, len, why, whylen);

	if (pkey == NULL)
		return -1;
	EVP_PKEY_free(pkey);
	return 0;
}

int
tls_check_key_pair(const void *cert_pem, size_t cert_len, const void *key_pem,
    size_t key_len, char *why, size_t whylen)
{
	BIO *bio = mem_bio(cert_pem, cert_len);
	EVP_PKEY *pkey = NULL;
	X509 *leaf = NULL;
	int rc = -1;

	if (bio == NULL || (leaf = PEM_read_bio_X509(bio, NULL, no_password,
	    NULL)) == NULL) {
		tls_why_set(why, whylen, "the certificate does not parse: %s", ssl_reason());
		goto out;
	}
	if ((pkey = load_private_key(key_pem, key_len, why, whylen)) == NULL)
		goto out;
	ERR_clear_error();
	if (X509_check_private_key(leaf, pkey) != 1) {
		tls_why_set(why, whylen, "the private key does not match the "
		    "certificate (the first certificate of tls.crt)");
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(pkey);
	X509_free(leaf);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

int
tls_check_crl(const void *pem, size_t len, char *why, size_t whylen)
{
	BIO *bio = mem_bio(pem, len);
	struct pem_block blk;
	size_t n = 0;
	int rc = -1, r;

	if (bio == NULL) {
		tls_why_set(why, whylen, "out of memory");
		return -1;
	}
	while ((r = pem_next(bio, n, &blk, why, whylen)) == 1) {
		const unsigned char *p = blk.data;
		X509_CRL *crl;

		if (strcmp(blk.name, "X509 CRL") != 0) {
			tls_why_set(why, whylen, "PEM block %zu is a \"%s\", expected an "
			    "X509 CRL", n + 1, blk.name);
			pem_block_free(&blk);
			goto out;
		}
		crl = d2i_X509_CRL(NULL, &p, blk.len);
		if (crl == NULL) {
			tls_why_set(why, whylen, "CRL %zu does not parse: %s", n + 1,
			    ssl_reason());
			pem_block_free(&blk);
			goto out;
		}
		X509_CRL_free(crl);
		pem_block_free(&blk);
		n++;
	}
	if (r < 0)
		goto out;
	if (n == 0) {
		tls_why_set(why, whylen, "no CRL found (expected a PEM block "
		    "\"-----BEGIN X509 CRL-----\")");
		goto out;
	}
	rc = 0;
out:
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}
