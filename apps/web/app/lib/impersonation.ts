/** What the banner needs while an instance admin views the app as a user (sent to the browser: names only). */
export interface ImpersonationBannerData {
  /** The user being viewed: their name, else their email, else their id. */
  userLabel: string;
  userId: string;
  /** The admin viewing. */
  adminLabel: string;
  /** When the impersonation session ends at the latest, as `HH:MM UTC`, and as an ISO instant for `<time>`. */
  endsAt: string;
  endsAtIso: string;
}
