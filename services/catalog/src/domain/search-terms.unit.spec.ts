// The purity rule is for the domain code; its tests may assert with node:assert.
import { describe, it } from "mocha";
import assert from "node:assert/strict";
import { foldText, searchTermsOf, wordsOf } from "./search-terms.js";

describe("search terms", () => {
  it("folds case and accents", () => {
    assert.equal(foldText("Beyoncé ZÜRICH Ñandú Crème"), "beyonce zurich nandu creme");
  });

  it("splits on anything that is not a letter or digit, once per word", () => {
    assert.deepEqual(wordsOf("  Hip-Hop: the 90s, hip hop! "), ["hip", "hop", "the", "90s"]);
    assert.deepEqual(wordsOf("¿?!"), []);
  });

  it("keeps letters of every script", () => {
    assert.deepEqual(wordsOf("Москва 東京"), ["москва", "東京"]);
  });

  it("takes the words of the title, venue name and city, and tags", () => {
    const terms = searchTermsOf({
      title: "Noche de Tango",
      venue: { name: "Salón Canning", city: "Buenos Aires" },
      tags: ["tango", "milonga"],
    });
    assert.deepEqual(terms, ["noche", "de", "tango", "salon", "canning", "buenos", "aires", "milonga"]);
  });
});
