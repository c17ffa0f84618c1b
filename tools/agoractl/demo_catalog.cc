#include "tools/agoractl/demo_catalog.h"

namespace agora::tools {

const std::vector<DemoProduct>& DemoCatalog() {
  static const auto* const kCatalog = new std::vector<DemoProduct>{
      {"MUG-001", "Stoneware mug", "Hand-thrown, 350 ml, dishwasher safe.", 1800, 40},
      {"TEA-002", "Sencha green tea", "100 g loose leaf from Shizuoka.", 1250, 120},
      {"KET-003", "Cast-iron kettle", "0.8 l tetsubin with infuser.", 6900, 12},
      {"BAG-004", "Canvas tote bag", "Heavy cotton, long handles.", 2200, 60},
      {"NOT-005", "Dot-grid notebook", "A5, 160 pages, lay-flat binding.", 1500, 80},
      {"PEN-006", "Brass fountain pen", "Medium nib, converter included.", 4800, 25},
      {"CAN-007", "Beeswax candle", "Pillar, 40 hours of burn time.", 1400, 50},
      {"SOA-008", "Olive oil soap", "Unscented, 120 g bar.", 650, 200},
      {"TOW-009", "Linen tea towel", "Stonewashed, 50 x 70 cm.", 1600, 70},
      {"PLA-010", "Potted fern", "Boston fern in a 12 cm clay pot.", 2500, 15},
      {"BOW-011", "Ceramic bowl set", "Four 15 cm bowls, speckled glaze.", 3900, 20},
      {"LAM-012", "Desk lamp", "Adjustable arm, warm LED.", 5400, 10},
      {"BLA-013", "Wool blanket", "130 x 180 cm, herringbone.", 8900, 8},
      {"COF-014", "Single-origin coffee", "250 g whole beans, Ethiopia.", 1350, 90},
      {"GRI-015", "Hand coffee grinder", "Ceramic burrs, adjustable.", 4200, 18},
      {"CUT-016", "Wooden cutting board", "Oak, 40 x 25 cm.", 3200, 30},
      {"KNI-017", "Paring knife", "Carbon steel, 9 cm blade.", 2900, 22},
      {"APR-018", "Denim apron", "Adjustable strap, two pockets.", 3500, 16},
      {"JAR-019", "Glass storage jar", "1 l with a bamboo lid.", 900, 150},
      {"PUZ-020", "Jigsaw puzzle", "1000 pieces, botanical print.", 2400, 35},
      {"SOC-021", "Merino socks", "Pair, size 39-42.", 1900, 100},
      {"UMB-022", "Compact umbrella", "Windproof, automatic.", 2700, 40},
  };
  return *kCatalog;
}

}  // namespace agora::tools
