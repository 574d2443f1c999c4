import vine from '@vinejs/vine'

/**
 * A secret mailed in a link (password reset, email verification). Its exact
 * format is checked when it is redeemed, with the same answer as an unknown
 * secret.
 */
export const mailedToken = () => vine.string().trim().minLength(1).maxLength(128)
