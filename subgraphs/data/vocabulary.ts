// Word lists for the demo studio. Names deliberately include diacritics, apostrophes and hyphens
// ("Renée", "O'Brien", "Jean-Luc") so that analyzers are exercised the way real catalogues are.

export const FIRST_NAMES = [
  'Ryan', 'Emma', 'Jean-Luc', 'Renée', 'Siobhán', 'José', 'Zoë', 'Björn', 'Amara', 'Kenji', 'Priya', 'Mateo',
  'Olivia', 'Liam', 'Noor', 'Chloé', 'Dmitri', 'Aoife', 'Tomás', 'Ingrid', 'Kwame', 'Mei', 'Rafael', 'Saoirse',
  'Hiroshi', 'Lucía', 'Felix', 'Anya', 'Omar', 'Greta', 'Jamal', 'Élodie', 'Niamh', 'Sven', 'Isabela', 'Yusuf',
  'Hannah', 'Marco', 'Leila', 'Oscar', 'Freya', 'Diego', 'Ayesha', 'Pierre', 'Sofía', 'Ravi', 'Clara', 'Idris',
];

export const LAST_NAMES = [
  "O'Brien", "D'Angelo", 'Núñez', 'Müller', 'Smith-Jones', 'Reynolds', 'Nakamura', 'Okafor', 'Larsen', 'Moreau',
  'García', 'Kowalski', 'Patel', 'Fitzgerald', 'Chen', 'Haddad', 'Ivanova', 'Dubois', 'Rossi', 'Schmidt',
  'Mensah', 'Lindqvist', 'Fernández', 'Kaur', "O'Connell", 'MacLeod', 'Petrov', 'Yamamoto', 'Ferreira', 'Novak',
  'Brennan', 'Al-Rashid', 'Van der Berg', 'Søndergaard', 'Çelik', 'Abernathy', 'Whitaker', 'Castellanos',
];

export const TITLE_ADJECTIVES = [
  'Silent', 'Crimson', 'Last', 'Hidden', 'Broken', 'Golden', 'Midnight', 'Distant', 'Electric', 'Frozen', 'Wild',
  'Forgotten', 'Burning', 'Quiet', 'Endless', 'Paper', 'Iron', 'Velvet', 'Hollow', 'Northern', 'Secret', 'Lucky',
];

export const TITLE_NOUNS = [
  'Harbor', 'Empire', 'Garden', 'Signal', 'Horizon', 'Frontier', 'Orchard', 'Kingdom', 'Lighthouse', 'Circuit',
  'River', 'Summer', 'Protocol', 'Echo', 'Café', 'Atlas', 'Carnival', 'Voyage', 'Station', 'Dynasty', 'Mirage',
  'Canyon', 'Requiem', 'Odyssey', 'Heist', 'Meridian', 'Labyrinth', 'Monsoon',
];

export const GENRES = [
  'action', 'adventure', 'animation', 'comedy', 'crime', 'documentary', 'drama', 'family', 'fantasy', 'horror',
  'musical', 'mystery', 'romance', 'science fiction', 'thriller', 'western',
];

export const LANGUAGES = ['en', 'es', 'fr', 'de', 'ja', 'ko', 'hi', 'pt', 'it', 'sv'];

export const SYNOPSIS_OPENINGS = [
  'A retired detective', 'Two estranged sisters', 'A young engineer', 'An unlikely crew of thieves',
  'A small-town teacher', 'A disgraced chef', 'A deep-space courier', 'The heir to a failing circus',
  'A marine biologist', 'A jazz pianist', 'A runaway android', 'An ambitious journalist',
];

export const SYNOPSIS_TURNS = [
  'uncovers a conspiracy', 'must return home', 'races against time', 'falls for a rival',
  'inherits a mysterious map', 'is framed for a crime', 'leads a desperate rescue', 'wins an impossible bet',
  'discovers a hidden talent', 'faces an old enemy',
];

export const SYNOPSIS_SETTINGS = [
  'in post-war Lisbon', 'on a frozen research station', 'across the Sahara', 'in the neon streets of Osaka',
  'aboard a failing starship', 'in a sleepy Irish village', 'during a Montréal winter', 'beneath São Paulo',
  'at the edge of the world', 'in 1920s Berlin',
];

export const LOCATIONS: ReadonlyArray<{ city: string; country: string }> = [
  { city: 'Atlanta', country: 'US' }, { city: 'Vancouver', country: 'CA' }, { city: 'Montréal', country: 'CA' },
  { city: 'London', country: 'GB' }, { city: 'Dublin', country: 'IE' }, { city: 'Madrid', country: 'ES' },
  { city: 'Budapest', country: 'HU' }, { city: 'Prague', country: 'CZ' }, { city: 'Wellington', country: 'NZ' },
  { city: 'Tokyo', country: 'JP' }, { city: 'Seoul', country: 'KR' }, { city: 'Mumbai', country: 'IN' },
  { city: 'Reykjavík', country: 'IS' }, { city: 'Albuquerque', country: 'US' }, { city: 'Cape Town', country: 'ZA' },
  { city: 'México City', country: 'MX' }, { city: 'Berlin', country: 'DE' }, { city: 'Gold Coast', country: 'AU' },
];

export const STAGES = ['Stage 1', 'Stage 4', 'Backlot', 'Water Tank', 'Volume LED Stage', 'On location'];

export const VENDOR_NAMES = [
  'Lumière Lighting', 'Northlight Grip', 'Pixel Forge VFX', 'Sonic Bloom Audio', 'Atlas Catering',
  'Frame & Field Cameras', 'Studio Wagon Transport', 'Costume Atelier Dupré', "O'Hara Set Builders",
  'Quantum Color Grading', 'Greenroom Casting', 'Harbor Insurance Group',
];

export const VENDOR_SERVICES = ['LIGHTING', 'CAMERA', 'VFX', 'SOUND', 'CATERING', 'TRANSPORT', 'COSTUME', 'SETS'];

export const CHARACTER_NAMES = [
  'The Stranger', 'Detective Hale', 'Captain Ortiz', 'Dr. Varga', 'Mara', 'The Mayor', 'Young Theo', 'Agent Kim',
  'Lola', 'Father Brennan', 'Nadia', 'The Narrator', 'Sergeant Boyle', 'Queen Ysolde', 'Max', 'Aunt Ruth',
];
