-- The email as the customer wrote it ("Alice@Example.com"), answered back
-- in their profile; `email` stays the normalised form (lowercase) that is
-- unique and that sign-ins look up, so the comparison ignores case (API.md).
-- NULL for accounts made before: their normalised email is answered.
ALTER TABLE customers ADD COLUMN email_as_given text;
