/**
 * Reads a form post's body. A body that isn't a form (JSON, plain text, no content type, broken multipart) makes
 * `request.formData()` throw a TypeError, which Remix would answer with a 500; a client sent it, so it is a 400.
 */
export async function readFormData(request: Request): Promise<FormData> {
  try {
    return await request.formData();
  } catch (error) {
    if (error instanceof TypeError) throw new Response("Send the form as application/x-www-form-urlencoded or multipart/form-data.", { status: 400 });
    throw error;
  }
}
