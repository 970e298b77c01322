"use server";
// The example's UpdateName: the name trimmed, then 1 to 80 characters.
import { revalidatePath } from "next/cache";
import { getStore } from "./store";

export async function updateName(previous, formData) {
  const name = String(formData.get("name") ?? "").trim();
  if (!name) return { error: "Name is required.", name: previous.name };
  if (name.length > 80) return { error: "Name is too long.", name: previous.name };
  getStore().name = name;
  revalidatePath("/");
  return { error: null, name };
}
