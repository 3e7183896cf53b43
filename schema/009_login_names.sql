-- The login-name counters of one client address, found by the address: a pair's key is
-- "LOGIN ADDRESS" and an address key holds no blank, so the address is what follows the last
-- blank. Keeping an address within its bound of names (loginlimit.c) reads this index instead
-- of every login-name row of every address.
CREATE INDEX login_failure_pair_address ON login_failure ((substring(key FROM ' ([^ ]*)$')))
    WHERE scope = 'login';
